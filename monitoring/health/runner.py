"""Runs the checks concurrently, each in its own daemon thread, bounded by a timeout.

Daemon threads rather than an executor: a check stuck on a dead dependency must never hold up
the process's exit, and since a check is never started while its previous run is still going
(`HealthRunner`), at most one thread per component can ever hang.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from m365admin.choices import Component, HealthStatus
from m365admin.texts import message
from monitoring.health import api, auth, cache, database, exchange, graph, queue
from monitoring.health.base import Health, ms_since

logger = logging.getLogger("monitoring.health")

# A check gets the timeout (seconds) to bound its own network calls; the runner bounds the rest.
Check = Callable[[float], Health]

CHECKS: dict[str, Check] = {
    Component.API: api.check,
    Component.DATABASE: database.check,
    Component.GRAPH: graph.check,
    Component.EXCHANGE: exchange.check,
    Component.AUTH: auth.check,
    Component.CACHE: cache.check,
    Component.QUEUE: queue.check,
}


@dataclass(frozen=True)
class _Run:
    started: float  # time.monotonic()
    future: Future[Health]


class HealthRunner:
    """Runs a set of checks; remembers each one's latest run so a hung check is not restarted."""

    def __init__(self, checks: Mapping[str, Check]) -> None:
        self.checks = checks
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    async def run(self, timeout: float) -> list[Health]:
        """Every check's result in the order of `checks`, within about `timeout` seconds."""
        results: dict[str, Health] = {}
        waiting: dict[str, asyncio.Future[Health]] = {}
        with self._lock:
            now = time.monotonic()
            for component, check in self.checks.items():
                previous = self._runs.get(component)
                if previous is not None and not previous.future.done():
                    results[component] = Health(
                        component, HealthStatus.DOWN, None,
                        message("health.still_running", seconds=round(now - previous.started)),
                    )
                    continue
                run = _Run(now, _start(component, check, timeout))
                self._runs[component] = run
                waiting[component] = asyncio.wrap_future(run.future)
        if waiting:
            await asyncio.wait(waiting.values(), timeout=timeout)
        for component, future in waiting.items():
            if future.done():
                results[component] = future.result()
            else:
                # Left running: its thread ends on its own, and the next run waits for it.
                results[component] = Health(
                    component, HealthStatus.DOWN, timeout * 1000,
                    message("health.no_answer", seconds=f"{timeout:g}"),
                )
        return [results[component] for component in self.checks]


def _start(component: str, check: Check, timeout: float) -> Future[Health]:
    future: Future[Health] = Future()

    def run() -> None:
        health = _guarded(component, check, timeout)
        _close_connections()
        future.set_result(health)

    threading.Thread(target=run, name=f"health-{component}", daemon=True).start()
    return future


def _guarded(component: str, check: Check, timeout: float) -> Health:
    started = time.perf_counter()
    try:
        return check(timeout)
    except Exception as exc:
        logger.exception("health check %s failed", component)
        return Health(
            component, HealthStatus.DOWN, ms_since(started),
            message("health.check_failed", error=type(exc).__name__),
        )


def _close_connections() -> None:
    # This thread's connections would otherwise stay open (or out of the pool) for good.
    try:
        connections.close_all()
    except Exception:
        logger.exception("closing a health check's database connection failed")


_runner = HealthRunner(CHECKS)


async def check_all(timeout: float | None = None) -> list[Health]:
    """All the checks concurrently, in Component order; each bounded by timeout (default
    settings.HEALTH_CHECK_TIMEOUT)."""
    return await _runner.run(settings.HEALTH_CHECK_TIMEOUT if timeout is None else timeout)
