"""Snapshots: pg_stat_statements' top statements every 5 minutes (per-statement history, and
trends that survive a reset of the statistics) and table sizes once a day (the size-growth
chart)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring.dbconsole import insight
from monitoring.models import QueryStatsSnapshot, TableSizeSnapshot

SNAPSHOT_QUERIES = 100
QUERIES_EVERY = timedelta(minutes=5)
SIZES_EVERY = timedelta(days=1)
# The job runs every QUERIES_EVERY; a tick a little early must not skip a whole interval.
_SLACK = timedelta(seconds=30)


def take() -> None:
    """Both snapshots now (the reset action keeps one before the counters go to zero)."""
    now = timezone.now()
    take_sizes(now)
    take_queries(now)


def take_sizes(now) -> None:
    TableSizeSnapshot.objects.bulk_create(
        TableSizeSnapshot(captured=now, table=table["name"], total_bytes=table["total_bytes"],
                          rows=table["live_rows"]) for table in insight.tables())


def take_queries(now) -> None:
    """The top statements in one transaction (a half-written snapshot would skew the charts)."""
    try:
        queries = insight.slow_queries(limit=SNAPSHOT_QUERIES)
    except insight.Unavailable:
        return
    with transaction.atomic():
        QueryStatsSnapshot.objects.bulk_create(
            QueryStatsSnapshot(captured=now, queryid=int(query["queryid"]), query=query["query"],
                               calls=query["calls"], total_ms=query["total_ms"],
                               rows=query["rows"]) for query in queries)


def take_if_due() -> dict[str, bool]:
    """The scheduler's step (every 5 minutes): expiry, then each snapshot that is due — a
    restarted scheduler takes no second one within the interval."""
    if not insight.is_postgresql():
        return {"queries": False, "sizes": False}
    now = timezone.now()
    TableSizeSnapshot.objects.filter(
        captured__lt=now - timedelta(days=settings.DB_SNAPSHOT_RETENTION_DAYS)).delete()
    QueryStatsSnapshot.objects.filter(
        captured__lt=now - timedelta(days=settings.DB_QUERY_STATS_RETENTION_DAYS)).delete()
    taken = {"queries": _due(QueryStatsSnapshot, now, QUERIES_EVERY),
             "sizes": _due(TableSizeSnapshot, now, SIZES_EVERY)}
    if taken["sizes"]:
        take_sizes(now)
    if taken["queries"]:
        take_queries(now)
    return taken


def _due(model, now, every: timedelta) -> bool:
    last = model.objects.order_by("-captured").values_list("captured", flat=True).first()
    return last is None or now - last >= every - _SLACK


def query_history(queryid: int) -> dict:
    """One statement per snapshot interval: calls, mean and total time, and rows in that
    interval (the differences of the cumulative counters; after a reset, the new counts)."""
    history = {"queryid": str(queryid), "query": "",
               "captured": [], "calls": [], "total_ms": [], "mean_ms": [], "rows": []}
    if not -2**63 <= queryid < 2**63:  # query IDs are signed 64-bit: no such statement
        return history
    points = list(QueryStatsSnapshot.objects.filter(queryid=queryid).order_by("captured")
                  .values("captured", "calls", "total_ms", "rows", "query"))
    history["query"] = points[-1]["query"] if points else ""
    for before, after in itertools.pairwise(points):
        reset = after["calls"] < before["calls"]
        calls, total, rows = ((after["calls"], after["total_ms"], after["rows"]) if reset else
                              (after["calls"] - before["calls"],
                               after["total_ms"] - before["total_ms"],
                               after["rows"] - before["rows"]))
        history["captured"].append(after["captured"])
        history["calls"].append(calls)
        history["total_ms"].append(round(total, 3))
        history["mean_ms"].append(round(total / calls, 3) if calls else None)
        history["rows"].append(rows)
    return history


def _latest_capture():
    return (TableSizeSnapshot.objects.order_by("-captured")
            .values_list("captured", flat=True).first())


def size_history(tables: int = 8) -> dict:
    """Total size per snapshot for the largest tables (by their latest size)."""
    latest = _latest_capture()
    if latest is None:
        return {"captured": [], "tables": {}}
    largest = list(TableSizeSnapshot.objects.filter(captured=latest)
                   .order_by("-total_bytes").values_list("table", flat=True)[:tables])
    series: dict[str, dict] = {name: {} for name in largest}
    captured = []
    for row in TableSizeSnapshot.objects.filter(table__in=largest).order_by("captured"):
        if not captured or captured[-1] != row.captured:
            captured.append(row.captured)
        series[row.table][row.captured] = row.total_bytes
    return {"captured": captured,
            "tables": {name: [values.get(moment) for moment in captured]
                       for name, values in series.items()}}
