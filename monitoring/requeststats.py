"""Per-route request statistics, aggregated in memory and written once per interval.

The middleware only adds to an in-process histogram; `flush()` writes each finished interval
as one RequestStat row per route (one bulk insert per interval per process, never one write
per request). Intervals are aligned to the wall clock, so rows from several web processes line
up and merge by adding their histograms (`merge`), which keeps percentiles honest.
"""

from __future__ import annotations

import bisect
import logging
import math
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction

from m365admin.registry.serving import beside_server
from monitoring.models import RequestStat

logger = logging.getLogger(__name__)

# Upper bounds (ms) of the latency histogram's buckets; the last bucket is open-ended.
BUCKETS_MS = (
    1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750,
    1000, 1500, 2000, 3000, 5000, 7500, 10000,
)
UNMATCHED = "(unmatched)"
STATIC = "(static)"  # served by WhiteNoise before URL resolution
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def interval_start(moment: float, interval: float) -> float:
    return math.floor(moment / interval) * interval


@dataclass
class RouteStats:
    count: int = 0
    errors: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))
    refused: int = 0  # 4xx: bad input, denied, rate-limited, not found

    def add(self, elapsed_ms: float, error: bool, refused: bool = False) -> None:
        self.count += 1
        self.errors += error
        self.refused += refused
        self.total_ms += elapsed_ms
        self.max_ms = max(self.max_ms, elapsed_ms)
        self.buckets[bisect.bisect_left(BUCKETS_MS, elapsed_ms)] += 1

    def merge(self, other: RouteStats) -> None:
        self.count += other.count
        self.errors += other.errors
        self.refused += other.refused
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]

    def percentile(self, share: float) -> float | None:
        """The latency below which `share` of requests fell, interpolated within its bucket."""
        if not self.count:
            return None
        rank = share * self.count
        seen = 0
        for index, n in enumerate(self.buckets):
            if n and seen + n >= rank:
                low = BUCKETS_MS[index - 1] if index else 0.0
                high = BUCKETS_MS[index] if index < len(BUCKETS_MS) else self.max_ms
                return round(min(low + (high - low) * (rank - seen) / n, self.max_ms), 2)
            seen += n
        return round(self.max_ms, 2)

    def summary(self) -> dict:
        return {
            "count": self.count,
            "errors": self.errors,
            "error_rate": round(100.0 * self.errors / self.count, 2) if self.count else 0.0,
            "refused": self.refused,
            "p50": self.percentile(0.50),
            "p95": self.percentile(0.95),
            "p99": self.percentile(0.99),
        }


class Aggregator:
    """This process's unflushed intervals: {interval start: {route: RouteStats}}."""

    def __init__(self) -> None:
        self._intervals: dict[float, dict[str, RouteStats]] = {}
        self._lock = threading.Lock()
        # Serialises flushes (the flusher thread and the embedded tick may both call it).
        self._flush_lock = threading.Lock()

    def add(self, route: str, elapsed_ms: float, error: bool, now: float | None = None,
            refused: bool = False) -> None:
        start = interval_start(time.time() if now is None else now, settings.MONITORING_INTERVAL)
        with self._lock:
            routes = self._intervals.setdefault(start, {})
            stats = routes.get(route)
            if stats is None:
                stats = routes[route] = RouteStats()
            stats.add(elapsed_ms, error, refused)

    def flush(self, now: float | None = None) -> int:
        """Write every finished interval; returns the number of rows written."""
        current = interval_start(time.time() if now is None else now, settings.MONITORING_INTERVAL)
        with self._flush_lock:
            with self._lock:
                finished = {s: r for s, r in self._intervals.items() if s < current}
                for start in finished:
                    del self._intervals[start]
            rows = [
                RequestStat(
                    interval_start=datetime.fromtimestamp(start, UTC), process=PROCESS,
                    route=route, count=stats.count, errors=stats.errors, refused=stats.refused,
                    total_ms=stats.total_ms, max_ms=stats.max_ms, buckets=stats.buckets,
                )
                for start, routes in finished.items()
                for route, stats in routes.items()
            ]
            try:
                with transaction.atomic():
                    RequestStat.objects.bulk_create(rows)
            except Exception:
                self._put_back(finished)
                raise
        return len(rows)

    def _put_back(self, finished: dict[float, dict[str, RouteStats]]) -> None:
        # The database is away: keep the intervals for the next flush, but only the latest
        # hour's worth, so an outage cannot grow this process's memory without bound.
        with self._lock:
            for start, routes in finished.items():
                merged = self._intervals.setdefault(start, {})
                for route, stats in routes.items():
                    merged.setdefault(route, RouteStats()).merge(stats)
            keep = max(1, int(3600 / settings.MONITORING_INTERVAL))
            for start in sorted(self._intervals)[:-keep]:
                del self._intervals[start]


aggregator = Aggregator()


class RequestStatsMiddleware:
    """Times every request and counts server errors and refusals (4xx) per route (the URL
    pattern, not the path)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        except Exception:
            self._record(request, started, error=True)
            raise
        self._record(request, started, error=response.status_code >= 500,
                     refused=400 <= response.status_code < 500)
        return response

    @staticmethod
    def _record(request, started: float, error: bool, refused: bool = False) -> None:
        match = getattr(request, "resolver_match", None)
        if match is not None:
            route = match.route
        elif request.path.startswith(settings.STATIC_URL):
            route = STATIC
        else:
            route = UNMATCHED
        aggregator.add(route, (time.perf_counter() - started) * 1000.0, error, refused=refused)


@beside_server
def start_flusher() -> threading.Thread:
    """A daemon thread writing this web process's finished intervals just after each ends."""

    def loop() -> None:
        while True:
            interval = settings.MONITORING_INTERVAL
            now = time.time()
            # A little after the boundary, so the last requests of the interval are in.
            time.sleep(interval_start(now, interval) + interval - now + min(0.5, interval / 10))
            try:
                aggregator.flush()
            except Exception as exc:
                logger.warning("request statistics not written, kept for the next flush: %s", exc)
            finally:
                connection.close()

    thread = threading.Thread(target=loop, name="requeststats-flusher", daemon=True)
    thread.start()
    return thread


def _merged(rows) -> dict[str, RouteStats]:
    routes: dict[str, RouteStats] = {}
    for row in rows:
        stats = RouteStats(row.count, row.errors, row.total_ms, row.max_ms, list(row.buckets),
                           row.refused)
        routes.setdefault(row.route, RouteStats()).merge(stats)
    return routes


def interval_routes(start: float) -> dict[str, RouteStats]:
    """All processes' requests in the interval starting at `start`, per route."""
    return _merged(RequestStat.objects.filter(interval_start=datetime.fromtimestamp(start, UTC)))


def interval_summary(start: float, top: int = 10) -> dict:
    """All processes' requests in the interval starting at `start`, with the busiest routes."""
    routes = interval_routes(start)
    total = RouteStats()
    for stats in routes.values():
        total.merge(stats)
    busiest = sorted(routes.items(), key=lambda item: (-item[1].count, item[0]))[:top]
    return {
        "interval_start": start,
        **total.summary(),
        "routes": [{"route": route, **stats.summary()} for route, stats in busiest],
    }


def last_complete_interval(now: float | None = None) -> float:
    interval = settings.MONITORING_INTERVAL
    return interval_start(time.time() if now is None else now, interval) - interval


def history(since: datetime, until: datetime) -> dict[str, list]:
    """Per-interval totals across routes and processes, oldest first, as chart columns."""
    per_interval: dict[datetime, RouteStats] = {}
    rows = RequestStat.objects.filter(interval_start__gte=since, interval_start__lt=until)
    # Tuples, not model instances: this runs for every tick's snapshot.
    fields = ("interval_start", "count", "errors", "total_ms", "max_ms", "buckets")
    for start, *numbers, buckets in rows.order_by("interval_start").values_list(*fields):
        stats = RouteStats(*numbers, buckets)
        per_interval.setdefault(start, RouteStats()).merge(stats)
    columns: dict[str, list] = {
        "t": [], "count": [], "error_rate": [], "p50": [], "p95": [], "p99": []
    }
    for start, stats in per_interval.items():
        summary = stats.summary()
        columns["t"].append(start.timestamp())
        for name in ("count", "error_rate", "p50", "p95", "p99"):
            columns[name].append(summary[name])
    return columns
