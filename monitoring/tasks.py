"""Monitoring's background work as tasks (django.tasks), run by whichever worker is free:
notification deliveries, the database console's maintenance actions and its snapshots.

The scheduler's jobs (monitoring/jobs.py) enqueue them when there is work; priorities put
alert notifications ahead of everything else in the queue (a 30-day sign-in backfill too).
"""

from __future__ import annotations

from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from m365admin.taskqueue.claims import enqueue_once
from monitoring import notify
from monitoring.choices import DatabaseActionState as State
from monitoring.choices import DeliveryStatus
from monitoring.dbconsole import snapshots, worker
from monitoring.models import DatabaseAction, Delivery

NOTIFY_PRIORITY = 50
DATABASE_ACTION_PRIORITY = 20
SNAPSHOT_PRIORITY = -10


@task(priority=NOTIFY_PRIORITY)
def deliver_notifications() -> int:
    """Send every due delivery; returns how many were attempted."""
    return notify.deliver_due()


@task(priority=DATABASE_ACTION_PRIORITY)
def run_database_actions() -> int:
    """The maintenance lane of the database console; returns how many actions ran."""
    return worker.run_queued()


@task(priority=SNAPSHOT_PRIORITY)
def snapshot_database() -> dict[str, bool]:
    """Query statistics every 5 minutes, table sizes daily (whichever is due)."""
    return snapshots.take_if_due()


def enqueue_due_deliveries() -> bool:
    """Enqueue a delivery run when a delivery is due, or one was left sending by a worker that
    stopped (its claim has timed out)."""
    now = timezone.now()
    due = Delivery.objects.filter(
        Q(status=DeliveryStatus.QUEUED, due__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed__lt=now - notify.CLAIM_TIMEOUT))
    return due.exists() and enqueue_once(deliver_notifications)


def enqueue_database_actions() -> bool:
    """Enqueue the maintenance lane when an action waits, may have been orphaned by a stopped
    worker (running past the grace), or left something to drop."""
    settled = timezone.now() - worker.ORPHAN_GRACE
    work = DatabaseAction.objects.exclude(kind__in=worker.SIGNAL_KINDS).filter(
        Q(state=State.QUEUED) | Q(state=State.RUNNING, started__lt=settled)
    ) | DatabaseAction.objects.exclude(cleanup_pending=[])
    return work.exists() and enqueue_once(run_database_actions)
