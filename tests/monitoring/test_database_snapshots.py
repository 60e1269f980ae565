"""The database console's scheduled side: daily snapshots, their expiry, the worker's job, and
actions a stopped scheduler left running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from m365admin.models.audit import AuditEntry
from m365admin.scheduler import discover
from monitoring.choices import DatabaseActionState
from monitoring.dbconsole import snapshots, worker
from monitoring.models import DatabaseAction, QueryStatsSnapshot, TableSizeSnapshot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_scheduler_runs_the_worker_often_and_snapshots_every_five_minutes():
    jobs = discover()
    assert jobs["monitoring.database_actions"].every() <= 5
    assert jobs["monitoring.database_snapshot"].every() == 300


def test_a_snapshot_records_every_table_and_the_top_statements():
    snapshots.take()
    tables = set(TableSizeSnapshot.objects.values_list("table", flat=True))
    assert {"public.m365admin_signin", "public.monitoring_databaseaction"} <= tables
    signins = TableSizeSnapshot.objects.get(table="public.m365admin_signin")
    assert signins.total_bytes > 0  # its partitions' indexes at least
    assert QueryStatsSnapshot.objects.count() > 0  # migrations alone ran statements
    assert QueryStatsSnapshot.objects.filter(calls__gt=0, total_ms__gt=0).exists()


def test_query_statistics_every_five_minutes_and_sizes_once_a_day_however_often_it_looks():
    assert snapshots.take_if_due() == {"queries": True, "sizes": True}
    assert snapshots.take_if_due() == {"queries": False, "sizes": False}
    assert TableSizeSnapshot.objects.values("captured").distinct().count() == 1
    # Five minutes on (a tick a few seconds early counts): the statements, not the sizes.
    QueryStatsSnapshot.objects.update(captured=timezone.now() - timedelta(minutes=4, seconds=50))
    assert snapshots.take_if_due() == {"queries": True, "sizes": False}
    assert QueryStatsSnapshot.objects.values("captured").distinct().count() == 2
    TableSizeSnapshot.objects.update(captured=timezone.now() - timedelta(days=1, minutes=1))
    assert snapshots.take_if_due() == {"queries": False, "sizes": True}
    assert TableSizeSnapshot.objects.values("captured").distinct().count() == 2


def test_snapshots_past_their_retention_are_deleted(settings):
    settings.DB_SNAPSHOT_RETENTION_DAYS = 30
    settings.DB_QUERY_STATS_RETENTION_DAYS = 7
    snapshots.take()
    old = timezone.now() - timedelta(days=31)
    week_old = timezone.now() - timedelta(days=8)
    TableSizeSnapshot.objects.update(captured=old)
    QueryStatsSnapshot.objects.update(captured=week_old)
    snapshots.take()
    kept_sizes = timezone.now() - timedelta(days=8)
    TableSizeSnapshot.objects.filter(captured__gt=old).update(captured=kept_sizes)
    snapshots.take_if_due()
    assert not TableSizeSnapshot.objects.filter(captured=old).exists()
    assert TableSizeSnapshot.objects.filter(captured=kept_sizes).exists()  # within 30 days
    assert not QueryStatsSnapshot.objects.filter(captured=week_old).exists()  # past 7 days
    assert QueryStatsSnapshot.objects.exists()  # and this interval's was taken


def test_a_statements_history_gives_calls_and_time_per_interval_and_survives_a_reset():
    def snapshot(minutes_ago, calls, total_ms):
        QueryStatsSnapshot.objects.create(
            captured=timezone.now() - timedelta(minutes=minutes_ago), queryid=-42,
            query="SELECT $1", calls=calls, total_ms=total_ms, rows=calls)

    snapshot(15, 100, 50.0)
    snapshot(10, 160, 80.0)   # 60 calls, 30 ms
    snapshot(5, 160, 80.0)    # idle
    snapshot(0, 20, 40.0)     # the statistics were reset: 20 calls, 40 ms since
    history = snapshots.query_history(-42)
    assert history["query"] == "SELECT $1"
    assert history["calls"] == [60, 0, 20]
    assert history["total_ms"] == [30.0, 0.0, 40.0]
    assert history["mean_ms"] == [0.5, None, 2.0]
    assert len(history["captured"]) == 3
    assert snapshots.query_history(7)["captured"] == []
    assert snapshots.query_history(2**70)["captured"] == []  # no such ID, no error


def test_the_size_history_follows_the_largest_tables_over_time():
    snapshots.take()
    TableSizeSnapshot.objects.update(captured=timezone.now() - timedelta(days=1))
    snapshots.take()
    history = snapshots.size_history(tables=3)
    assert len(history["captured"]) == 2
    assert len(history["tables"]) == 3
    assert all(len(values) == 2 for values in history["tables"].values())


def test_an_empty_history_is_empty():
    assert snapshots.size_history() == {"captured": [], "tables": {}}


def test_an_action_left_running_by_a_stopped_scheduler_is_failed_and_explained(administrator):
    action = DatabaseAction.objects.create(
        kind="analyze", target="public.m365admin_tenant",
        statements=["ANALYZE public.m365admin_tenant"], requested_by=administrator,
        state=DatabaseActionState.RUNNING, started=timezone.now() - timedelta(minutes=5),
        backend_pid=1)
    recent = DatabaseAction.objects.create(
        kind="analyze", target="public.m365admin_team",
        statements=["ANALYZE public.m365admin_team"], requested_by=administrator,
        state=DatabaseActionState.RUNNING, started=timezone.now())
    worker.run_queued()
    action.refresh_from_db()
    recent.refresh_from_db()
    assert action.state == DatabaseActionState.FAILED
    assert "worker stopped" in action.result
    assert AuditEntry.objects.filter(action="database.action.finished",
                                     details__state="failed").exists()
    # Claimed a moment ago: its worker may still be connecting, so it is left alone.
    assert recent.state == DatabaseActionState.RUNNING
