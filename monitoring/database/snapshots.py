"""Daily snapshots of query statistics and table sizes: the size-growth chart reads them, and
query trends survive a pg_stat_statements reset."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring.database import insight
from monitoring.models import QueryStatsSnapshot, TableSizeSnapshot

SNAPSHOT_QUERIES = 100
SNAPSHOT_EVERY = timedelta(days=1)


def take() -> None:
    """One snapshot now, in one transaction (a half-written snapshot would skew the charts)."""
    now = timezone.now()
    tables = insight.tables()
    try:
        queries = insight.slow_queries(limit=SNAPSHOT_QUERIES)
    except insight.Unavailable:
        queries = []
    with transaction.atomic():
        TableSizeSnapshot.objects.bulk_create(
            TableSizeSnapshot(captured=now, table=table["name"], total_bytes=table["total_bytes"],
                              rows=table["live_rows"]) for table in tables)
        QueryStatsSnapshot.objects.bulk_create(
            QueryStatsSnapshot(captured=now, queryid=int(query["queryid"]), query=query["query"],
                               calls=query["calls"], total_ms=query["total_ms"],
                               rows=query["rows"]) for query in queries)


def take_if_due() -> bool:
    """The scheduler's daily step: a snapshot if the last is a day old, and expiry."""
    if not insight.is_postgresql():
        return False
    now = timezone.now()
    cutoff = now - timedelta(days=settings.DB_SNAPSHOT_RETENTION_DAYS)
    TableSizeSnapshot.objects.filter(captured__lt=cutoff).delete()
    QueryStatsSnapshot.objects.filter(captured__lt=cutoff).delete()
    last = _latest_capture()
    if last is not None and now - last < SNAPSHOT_EVERY:
        return False
    take()
    return True


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
