"""Enqueueing the project's own upkeep once: the scheduler decides what is due, the workers
run it.

The scheduler (one leader) enqueues a task every time its job comes round; while a run of
that task is still waiting or running there is no point in a second one (the run that comes
does all the work that is due), so `enqueue_once` adds none. That keeps the queue at one row
per kind of work however slow the workers are. A run whose worker was killed does not block
the next for long: its lease expires and it is queued again (m365admin/taskqueue/leases.py).
Per-tenant work (collector runs, detections) is claimed in claims.py instead.
"""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def pending(task: Task[[], Any]) -> bool:
    """Is a run of `task` waiting or running?"""
    return DBTaskResult.objects.filter(
        task_path=task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).exists()


def enqueue_once(task: Task[[], Any]) -> bool:
    """Enqueue `task` (no arguments) unless a run of it is already pending; returns whether it
    was enqueued. Called by the single scheduler, so check-then-add does not race."""
    if pending(task):
        return False
    task.enqueue()
    logger.debug("enqueued task=%s", task.module_path)
    return True
