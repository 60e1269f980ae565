"""Enqueue work at most once: one queued or running task per tenant and kind of work (a
collector, the detections), or per upkeep task (no tenant), whoever enqueues it, on whichever
host."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.tasks import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from m365admin.models import Tenant
from m365admin.models.tasks import TaskClaim

logger = logging.getLogger(__name__)

_PENDING = (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def enqueue_once(task: Task[..., Any], tenant: Tenant | None = None, kind: str = "", *,
                 priority: int | None = None, again_if_running: bool = False,
                 **kwargs: Any) -> bool:
    """Enqueue task(**kwargs) unless the tenant's `kind` of work is already queued or running;
    returns whether it enqueued. Without a tenant, the claim is the task's own (the upkeep
    tasks: the run that comes does all the work that is due).

    A queued one is raised to `priority` (default: the task's) if that is higher (a "Sync
    now" overtakes the scheduled run it finds queued); a running one runs once more after it,
    with these arguments, when `again_if_running` (it may have started before what was asked
    for)."""
    priority = task.priority if priority is None else priority
    with transaction.atomic():
        # The unique claim row serializes enqueuers: a second one waits here for the first's
        # commit, then sees its task.
        claim, _ = TaskClaim.objects.select_for_update().get_or_create(
            tenant=tenant, kind=kind or task.module_path)
        current = claim.task
        if current is not None and current.status in _PENDING:
            if current.status == TaskResultStatus.READY and priority > current.priority:
                DBTaskResult.objects.filter(pk=current.pk).update(priority=priority)
            elif current.status == TaskResultStatus.RUNNING and again_if_running:
                claim.again = {"priority": priority, "kwargs": kwargs}
                claim.save(update_fields=["again"])
            return False
        result = task.using(priority=priority).enqueue(**kwargs)
        claim.task_id, claim.again = result.id, None
        claim.save(update_fields=["task", "again"])
        logger.debug("enqueued task=%s tenant=%s kind=%s", task.module_path, claim.tenant_id,
                     claim.kind)
        return True


def release(db_result: DBTaskResult[Any, Any]) -> None:
    """The task finished for good (in the transaction recording it): free its claims, or
    enqueue the run that was asked for while it ran."""
    for claim in TaskClaim.objects.select_for_update().filter(task=db_result):
        if claim.again is None:
            claim.delete()
            continue
        again = db_result.task.using(priority=claim.again["priority"])
        claim.task_id = again.enqueue(**claim.again["kwargs"]).id
        claim.again = None
        claim.save(update_fields=["task", "again"])
        logger.info("task again task=%s tenant=%s kind=%s", db_result.task_path,
                    claim.tenant_id, claim.kind)
