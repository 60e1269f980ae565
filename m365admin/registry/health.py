"""Component health checks, registered beside what they look at: `@health_check(component)` on
a function in `<app>/health.py` (or the `<app>/health/` package), like `@periodic` jobs.

A check gets the timeout (seconds) to bound its own network calls and returns a Health; the
runner (monitoring/health/runner.py) runs every component's check, in Component order. Adding
a component is a `Component` member and one decorated function (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

from m365admin.choices import Component
from m365admin.lib.health import Health

Check = Callable[[float], Health]

_CHECKS: dict[str, Check] = {}


def health_check(component: Component) -> Callable[[Check], Check]:
    """Register `check` as the health check of `component`; one check per component."""

    def register(check: Check) -> Check:
        known = _CHECKS.get(component.value)
        # The same function imported again (a module reloaded) is not a second check.
        if known is not None and _name(known) != _name(check):
            raise ImproperlyConfigured(
                f"two health checks for the {component.value!r} component: "
                f"{_name(known)} and {_name(check)}")
        _CHECKS[component.value] = check
        return check

    return register


def checks() -> dict[str, Check]:
    """Every component's check, in Component (display) order. Fails loudly when a component
    has none: the dashboard would otherwise lose a tile without a word."""
    autodiscover_modules("health")
    return in_display_order(_CHECKS)


def in_display_order(registered: dict[str, Check]) -> dict[str, Check]:
    missing = [component.value for component in Component if component.value not in registered]
    if missing:
        raise ImproperlyConfigured(
            f"no health check registered for {', '.join(missing)}: add one with "
            "@health_check(Component.…) in the app's health module")
    return {component.value: registered[component.value] for component in Component}


def _name(check: Check) -> str:
    return f"{check.__module__}.{check.__qualname__}"
