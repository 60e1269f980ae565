"""The scheduler's monitoring jobs: the tick and retention of request statistics run here;
notifications, the database console's maintenance actions and its snapshots are enqueued as
tasks (monitoring/tasks.py) for the workers. Backend cancels and terminations stay here: they
clear what may jam a worker, so they must not wait in its queue."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from m365admin.scheduler import periodic
from m365admin.taskqueue.claims import enqueue_once
from monitoring import tasks
from monitoring.dbconsole import snapshots, worker
from monitoring.models import MetricSample, RequestStat
from monitoring.tick import Ticker

_ticker: Ticker | None = None


@periodic("monitoring.tick", every=lambda: settings.MONITORING_INTERVAL)
async def tick() -> None:
    global _ticker
    if _ticker is None:
        _ticker = Ticker()
    await _ticker.tick()


@periodic("monitoring.notify", every=lambda: 5.0)
def send_notifications() -> None:
    tasks.enqueue_due_deliveries()


@periodic("monitoring.retention", every=lambda: 3600.0)
def expire_measurements() -> None:
    cutoff = timezone.now() - timedelta(hours=settings.METRICS_RETENTION_HOURS)
    RequestStat.objects.filter(interval_start__lt=cutoff).delete()
    # On PostgreSQL whole daily partitions are dropped (m365admin.partitions); this removes the
    # rest of the day that straddles the cutoff, so no sample outlives the retention by a day.
    MetricSample.objects.filter(created__lt=cutoff).delete()


@periodic("monitoring.database_actions", every=lambda: 2.0)
def run_database_actions() -> None:
    if connection.vendor == "postgresql":
        tasks.enqueue_database_actions()


# Cancels and terminations in a job of their own: they clear what may be jamming the other.
@periodic("monitoring.database_signals", every=lambda: 1.0)
def run_database_signals() -> None:
    if connection.vendor == "postgresql":
        worker.run_queued(signals=True)


@periodic("monitoring.database_snapshot", every=lambda: snapshots.QUERIES_EVERY.total_seconds())
def snapshot_database() -> None:
    # Query statistics every 5 minutes, table sizes daily; a restarted scheduler takes no
    # second snapshot within either interval.
    enqueue_once(tasks.snapshot_database)
