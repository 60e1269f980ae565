"""Observation sources for alerting, registered beside the data they read: `@alert_source(
AlertSource.X)` on a function in `<app>/alert_sources.py` that returns this tick's Observations.

The evaluator (monitoring/alerting.py) looks at the tick's own figures and at whatever is
registered here, so it never imports the apps whose data it watches (docs/architecture.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

from m365admin.choices import AlertSource


@dataclass(frozen=True)
class Observation:
    """One value a rule can look at: its source and metric pick the rules, its labels name
    the thing observed (one alert per rule and labels)."""

    source: str  # an AlertSource value
    metric: str
    labels: dict[str, str]
    value: float
    tenant_id: int | None = None
    at: datetime | None = None  # incidents: when the latest occurrence was recorded


Source = Callable[[], list[Observation]]

# Read from every tick by the evaluator itself: no function registers them.
TICK_SOURCES = frozenset({AlertSource.METRIC, AlertSource.COMPONENT, AlertSource.REQUESTS})

_SOURCES: dict[str, Source] = {}


def alert_source(source: AlertSource) -> Callable[[Source], Source]:
    """Register `observe` as the function that reports `source`'s observations; one per
    source."""

    def register(observe: Source) -> Source:
        if source in TICK_SOURCES:
            raise ImproperlyConfigured(f"{source.value!r} observations come from the tick")
        known = _SOURCES.get(source.value)
        # The same function imported again (a module reloaded) is not a second source.
        if known is not None and _name(known) != _name(observe):
            raise ImproperlyConfigured(
                f"two alert sources for {source.value!r}: {_name(known)} and {_name(observe)}")
        _SOURCES[source.value] = observe
        return observe

    return register


def sources() -> list[Source]:
    """Every source's function, in AlertSource order. Fails loudly when a source has none:
    its rules would otherwise never fire, without a word."""
    _discover()
    return in_order(_SOURCES)


def in_order(registered: dict[str, Source]) -> list[Source]:
    wanted = [source.value for source in AlertSource if source not in TICK_SOURCES]
    missing = [source for source in wanted if source not in registered]
    if missing:
        raise ImproperlyConfigured(
            f"no alert source registered for {', '.join(missing)}: add one with "
            "@alert_source(AlertSource.…) in the app's alert_sources module")
    return [registered[source] for source in wanted]


@functools.cache
def _discover() -> None:
    # Once per process: the evaluator asks every tick, and looking for the apps' modules
    # again costs file-system lookups.
    autodiscover_modules("alert_sources")


def _name(observe: Source) -> str:
    return f"{observe.__module__}.{observe.__qualname__}"
