"""Task workers say they are alive: `heartbeat(worker_id)` from each worker's loop.

A worker is alive when it was heard from within ALIVE_WITHIN; the queue's health check
(monitoring/health/queue.py) counts those. A worker should beat at least every BEAT_EVERY,
busy or idle, so a long task does not make it look dead. Every database worker also beats
when it starts and finishes a task (`beat_on_task`, connected in M365AdminConfig.ready), so
even a plain `manage.py db_worker` is seen while it works.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend

from m365admin.models.workers import WorkerHeartbeat

logger = logging.getLogger(__name__)

BEAT_EVERY = timedelta(seconds=15)
# Four beats missed: a worker paused by a busy host is not dead yet.
ALIVE_WITHIN = 4 * BEAT_EVERY
# A worker not heard from for a day is gone (a host replaced, a worker id not reused).
FORGET_AFTER = timedelta(days=1)


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
    """The workers heard from within ALIVE_WITHIN, most recent first."""
    now = now or timezone.now()
    return list(WorkerHeartbeat.objects.filter(seen__gte=now - ALIVE_WITHIN))


def last_seen() -> datetime | None:
    """When any worker was last heard from (None: none ever was, or not for a day)."""
    latest = WorkerHeartbeat.objects.order_by("-seen").first()
    return latest.seen if latest else None


def beat_on_task(sender: object, task_result, **kwargs) -> None:
    """task_started/task_finished receiver: the worker that claimed the task is alive. Only
    for the database backend (elsewhere, the immediate backend in tests, there is no worker);
    django.tasks sends the backend itself on start and its class on finish."""
    backend = sender if isinstance(sender, type) else type(sender)
    if not (issubclass(backend, DatabaseBackend) and task_result.worker_ids):
        return
    try:
        heartbeat(task_result.worker_ids[-1])
    except DatabaseError:
        # A missed beat must not fail the task it was sent for.
        logger.exception("worker heartbeat failed worker=%s", task_result.worker_ids[-1])
