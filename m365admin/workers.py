"""Task workers say they are alive: every LeasedWorker's lease keeper calls
`heartbeat(worker_id)` three times a lease, busy or idle, and `stopped(worker_id)` on a clean
stop (m365admin/taskqueue/worker.py). django-tasks-db records nothing about an idle worker.

A worker is alive when it was heard from within one lease (TASK_LEASE_SECONDS): the same
silence after which its running task is given to another worker. The queue's health check
(collectors/health/queue.py) counts the live ones.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from m365admin.models.workers import WorkerHeartbeat

# A worker not heard from for a day is gone (a host replaced, a worker id not reused).
FORGET_AFTER = timedelta(days=1)


def alive_within() -> timedelta:
    return timedelta(seconds=settings.TASK_LEASE_SECONDS)


def heartbeat(worker_id: str, now: datetime | None = None) -> None:
    """Record that this process's worker `worker_id` is alive (one upsert)."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "seen": now},
    )
    WorkerHeartbeat.objects.filter(seen__lt=now - FORGET_AFTER).delete()


def stopped(worker_id: str) -> None:
    """A worker shutting down cleanly says so: it is not counted alive any longer."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def alive(now: datetime | None = None) -> list[WorkerHeartbeat]:
    """The workers heard from within one lease, most recent first."""
    now = now or timezone.now()
    return list(WorkerHeartbeat.objects.filter(seen__gte=now - alive_within()))


def last_seen() -> datetime | None:
    """When any worker was last heard from (None: none ever was, or not for a day)."""
    latest = WorkerHeartbeat.objects.order_by("-seen").first()
    return latest.seen if latest else None
