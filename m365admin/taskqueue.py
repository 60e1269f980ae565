"""Enqueueing background work once: the scheduler decides what is due, the workers run it.

The scheduler (one leader) enqueues a task every time its job comes round; while a run of
that task is still waiting, or running on a live worker, there is no point in a second one
(the run that comes does all the work that is due), so `enqueue_once` adds none. That keeps
the queue at one row per kind of work however slow the workers are.
"""

from __future__ import annotations

import logging

from django.tasks import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from m365admin import workers

logger = logging.getLogger(__name__)


def pending(task: Task) -> bool:
    """Is a run of `task` waiting, or running on a worker that is alive? A run whose worker
    was killed stays "running" in the queue for good; it must not block the next one."""
    runs = DBTaskResult.objects.filter(
        task_path=task.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).values_list("status", "worker_ids")
    alive = {beat.worker_id for beat in workers.alive()}
    return any(status == TaskResultStatus.READY or (claimed and claimed[-1] in alive)
               for status, claimed in runs)


def enqueue_once(task: Task) -> bool:
    """Enqueue `task` (no arguments) unless a run of it is already pending; returns whether it
    was enqueued. Called by the single scheduler, so check-then-add does not race."""
    if pending(task):
        return False
    task.enqueue()
    logger.debug("enqueued task=%s", task.module_path)
    return True
