"""Counters a GraphClient keeps for health checks and tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class StatsSnapshot:
    requests: int  # HTTP attempts sent, Graph and token endpoint alike
    throttled: int  # 429 answers, including 429 items inside $batch
    waited_seconds: float  # time spent sleeping for Retry-After or backoff
    failures: int  # attempts that failed with 5xx, a timeout or a connection error


class GraphStats:
    """Thread-safe running totals; read the attributes or take a snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.throttled = 0
        self.waited_seconds = 0.0
        self.failures = 0

    def add(
        self, *, requests: int = 0, throttled: int = 0, waited: float = 0.0, failures: int = 0
    ) -> None:
        with self._lock:
            self.requests += requests
            self.throttled += throttled
            self.waited_seconds += waited
            self.failures += failures

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            return self._snapshot()

    def snapshot_and_reset(self) -> StatsSnapshot:
        with self._lock:
            snap = self._snapshot()
            self.requests = self.throttled = self.failures = 0
            self.waited_seconds = 0.0
            return snap

    def _snapshot(self) -> StatsSnapshot:
        return StatsSnapshot(self.requests, self.throttled, self.waited_seconds, self.failures)
