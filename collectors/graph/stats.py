"""Counters a GraphClient keeps for health checks and tests, and those a collector run keeps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class StatsSnapshot:
    requests: int  # HTTP attempts sent, Graph and token endpoint alike
    throttled: int  # 429 answers, including 429 items inside $batch
    waited_seconds: float  # time spent sleeping for Retry-After or backoff
    failures: int  # attempts that failed with 5xx, a timeout or a connection error
    retries: int = 0  # waits before sending again after a 429, 5xx or error ($batch: once)


class GraphStats:
    """Thread-safe running totals; read the attributes or take a snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.throttled = 0
        self.waited_seconds = 0.0
        self.failures = 0
        self.retries = 0

    def add(
        self, *, requests: int = 0, throttled: int = 0, waited: float = 0.0, failures: int = 0,
        retries: int = 0,
    ) -> None:
        with self._lock:
            self.requests += requests
            self.throttled += throttled
            self.waited_seconds += waited
            self.failures += failures
            self.retries += retries
        counted = _counting.get()
        if counted is not None and counted is not self:
            counted.add(requests=requests, throttled=throttled, waited=waited,
                        failures=failures, retries=retries)

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return self._snapshot()

    def snapshot_and_reset(self) -> StatsSnapshot:
        with self._lock:
            snap = self._snapshot()
            self.requests = self.throttled = self.failures = self.retries = 0
            self.waited_seconds = 0.0
            return snap

    def _snapshot(self) -> StatsSnapshot:
        return StatsSnapshot(self.requests, self.throttled, self.waited_seconds, self.failures,
                             self.retries)


# The stats of the collector run this context works for (see `counting`).
_counting: ContextVar[GraphStats | None] = ContextVar("graph_stats_counting", default=None)


@contextmanager
def counting() -> Iterator[GraphStats]:
    """Count every Graph request made in this context into stats of its own, besides the
    client's: a collector run's, when the tenant's client also serves other runs and the
    health check (which resets the client's). Threads started for the run must run in a
    copy of this context (contextvars.copy_context) to be counted."""
    stats = GraphStats()
    token = _counting.set(stats)
    try:
        yield stats
    finally:
        _counting.reset(token)
