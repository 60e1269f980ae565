"""One scheduler tick: measure, record, and push one compact message (docs/monitoring.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import msgspec
from django.conf import settings
from django.utils import translation
from msgspec import UNSET
from msgspec.structs import replace

from m365admin.lib.asyncdb import in_worker_thread
from m365admin.overview import tenant_tiles
from monitoring import health, messages, push, requeststats, sampler
from monitoring.alerts import alerting
from monitoring.messages import (
    ComponentHealth,
    History,
    Metrics,
    MetricsHistory,
    Requests,
    RequestsHistory,
    Snapshot,
    TenantTile,
    Tick,
)

logger = logging.getLogger(__name__)

HISTORY = timedelta(hours=1)


def encode(message: Tick | Snapshot | dict) -> str:
    return msgspec.json.encode(message).decode()


def in_words(message: Tick | Snapshot) -> Tick | Snapshot:
    """A tick or snapshot with its health reasons put into words in the active language."""
    if isinstance(message, Snapshot):
        latest = message.latest
        return replace(message, latest=None if latest is None else in_words(latest))
    return replace(message, health=health.in_words(message.health))


def encode_per_language(message: Tick | Snapshot) -> dict[str, str]:
    """The message in JSON once per shipped language: each dashboard gets its viewer's."""
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            texts[language] = encode(in_words(message))
    return texts


class Ticker:
    """Holds what ticks share: the sampler's counters and the tiles last pushed."""

    def __init__(self) -> None:
        self.sampler = sampler.Sampler()
        self._tiles_sent: bytes | None = None

    async def tick(self) -> Tick:
        """Measure everything concurrently, push the tick, refresh the snapshot; returns the tick."""
        now = time.time()
        metrics, checks, requests, tiles = await asyncio.gather(
            in_worker_thread(self._sample),
            self._health(),
            in_worker_thread(self._requests),
            in_worker_thread(_tenant_tiles),
            return_exceptions=True,
        )
        message = Tick(
            t=now,
            metrics=_or_none(metrics, "metrics"),
            health=_or_none(checks, "health") or [],
            requests=_or_none(requests, "request statistics"),
        )
        try:
            message.alerts = await in_worker_thread(lambda: self._alerts(message))
        except Exception as exc:
            logger.warning("tick: alerts not evaluated: %s", exc)
        tiles = _or_none(tiles, "tenant tiles")
        if tiles is not None:
            encoded = msgspec.json.encode(tiles)
            if encoded != self._tiles_sent:
                message.tenants = tiles
                self._tiles_sent = encoded
        try:
            # Bounded: a stalled Redis would hold the tick for the layer's 30 s read timeout.
            await asyncio.wait_for(push.send_tick(encode_per_language(message)),
                                   settings.HEALTH_CHECK_TIMEOUT)
        except Exception as exc:  # the layer's client errors or the timeout: Redis is away
            logger.warning("tick not pushed to dashboards, the channel layer did not answer: %s",
                           exc or type(exc).__name__)
        try:
            await in_worker_thread(lambda: self._save_snapshot(message, tiles))
        except Exception as exc:
            logger.warning("dashboard snapshot not saved: %s", exc)
        return message

    def _sample(self) -> Metrics:
        return sampler.as_message(sampler.store(self.sampler.sample()))

    async def _health(self) -> list[ComponentHealth]:
        results = await health.check_all()
        return await in_worker_thread(lambda: health.record(results))

    def _alerts(self, message: Tick) -> dict[str, int]:
        alerting.evaluate(alerting.observe(message))
        return alerting.open_counts()

    def _requests(self) -> Requests:
        # In the embedded default the web server is this process: write its finished intervals.
        requeststats.aggregator.flush()
        return msgspec.convert(
            requeststats.interval_summary(requeststats.last_complete_interval()), Requests)

    def _save_snapshot(self, latest: Tick, tiles: list[TenantTile] | None) -> None:
        snapshot = build_snapshot(replace(latest, tenants=UNSET), tiles)
        push.save_snapshot(encode_per_language(snapshot), timeout=10 * settings.MONITORING_INTERVAL)


def latest_snapshot(language: str | None = None) -> str:
    """The snapshot a newly connected client (or the API) gets, in `language` (default: the
    active one): the one the scheduler cached, else one built from the database, with the
    latest tick the database holds. That covers the time before the first tick, and a cache
    (Redis) that is down."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    cached = push.load_snapshot(language)
    if cached:
        return cached
    with translation.override(language):
        return encode(in_words(build_snapshot(stored_tick())))


def stored_tick() -> Tick | None:
    """The latest metrics and component health as stored by the ticks; None before any."""
    sample = sampler.latest(HISTORY)
    checks = health.latest()
    if sample is None and not checks:
        return None
    return Tick(
        t=sample.created.timestamp() if sample else None,
        metrics=sampler.as_message(sample) if sample else None,
        health=checks,
    )


def build_snapshot(latest: Tick | None, tiles: list[TenantTile] | None = None) -> Snapshot:
    """What a newly connected client gets: the latest tick, the last hour, and the tiles."""
    until = datetime.now(UTC) + timedelta(seconds=1)
    since = until - HISTORY
    return Snapshot(
        interval=settings.MONITORING_INTERVAL,
        latest=latest,
        history=History(
            metrics=MetricsHistory(**sampler.history(since, until)),
            requests=RequestsHistory(**requeststats.history(since, until)),
        ),
        tenants=_tenant_tiles() if tiles is None else tiles,
    )


def _tenant_tiles() -> list[TenantTile]:
    return messages.tiles(tenant_tiles())


def _or_none(result, what: str):
    if isinstance(result, BaseException):
        # One failing part (the database away, say) must not stop the tick or the others.
        logger.warning("tick: %s unavailable: %s", what, result)
        return None
    return result
