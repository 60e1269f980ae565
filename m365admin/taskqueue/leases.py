"""Leases on running tasks and the tenants' Graph slots.

django-tasks-db marks a claimed task RUNNING and nothing more: a worker killed mid-task would
leave it RUNNING for ever. Here the worker holds a lease on it, renewed by its heartbeat; any
worker (and the scheduler) queues a task whose lease expired again, and the collector resumes
from its checkpoint. A lease also holds one of its tenant's Graph slots while a collector runs,
so a tenant's collectors share its throttling budget across every worker on every host.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.tasks import TaskContext, TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from m365admin.models import SyncRun, Tenant
from m365admin.models.tasks import TaskLease
from m365admin.taskqueue import claims

logger = logging.getLogger(__name__)


class TenantBusy(Exception):
    """The tenant's Graph slots are all taken: the worker queues the task again shortly,
    without counting an attempt."""


class LeaseExpired(Exception):
    """The worker running the task stopped renewing its lease (it died or hung)."""


def _expiry() -> datetime:
    return timezone.now() + timedelta(seconds=settings.TASK_LEASE_SECONDS)


def hold(task_id: UUID, worker: str) -> None:
    TaskLease.objects.update_or_create(task_id=task_id,
                                       defaults={"worker": worker, "expires": _expiry(),
                                                 "tenant": None})


def renew(task_id: UUID, worker: str) -> bool:
    """The heartbeat; False when the lease is no longer this worker's."""
    return TaskLease.objects.filter(task_id=task_id, worker=worker).update(
        expires=_expiry()) == 1


def still_held(task_id: UUID, worker: str) -> bool:
    """Inside a transaction: lock this worker's lease, so no one requeues the task while the
    worker records its outcome."""
    return TaskLease.objects.select_for_update().filter(task_id=task_id, worker=worker).exists()


def take_tenant_slot(context: TaskContext[Any, Any], tenant: Tenant) -> None:
    """Hold one of the tenant's TASK_TENANT_CONCURRENCY slots until the task ends, or raise
    TenantBusy. A task run outside a worker (no lease: a test calling it) takes none."""
    now, this_task = timezone.now(), UUID(context.task_result.id)
    with transaction.atomic():
        # Locking the tenant's row serializes the slot takers of one tenant across hosts.
        list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk"))
        busy = TaskLease.objects.filter(tenant=tenant, expires__gt=now).exclude(
            task_id=this_task).count()
        if busy >= settings.TASK_TENANT_CONCURRENCY:
            raise TenantBusy(f"tenant {tenant.pk} runs {busy} collector(s) already")
        TaskLease.objects.filter(task_id=this_task).update(tenant=tenant)


def requeue_expired() -> int:
    """Queue again the running tasks whose lease expired (or that never got one: claimed by a
    worker that died at once), or fail those out of attempts; returns how many."""
    now = timezone.now()
    silent = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).filter(
        Q(lease__expires__lt=now)
        | Q(lease__isnull=True,
            started_at__lt=now - timedelta(seconds=settings.TASK_LEASE_SECONDS)))
    done = 0
    with transaction.atomic():
        for db_result in silent.select_for_update(skip_locked=True, of=("self",)):
            lease = TaskLease.objects.filter(task=db_result).first()
            worker = lease.worker if lease else (db_result.worker_ids or ["?"])[-1]
            TaskLease.objects.filter(task=db_result).delete()
            # Its collector run is over too (worker ids name the process, as run owners do),
            # without waiting SYNC_RUN_LEASE_MINUTES for a worker on another host.
            SyncRun.objects.abandon_owned_by(worker)
            attempts = len(db_result.worker_ids)
            if attempts >= settings.TASK_MAX_ATTEMPTS:
                db_result.set_failed(LeaseExpired(
                    f"worker {worker} stopped renewing its lease ({attempts} attempts)"))
                claims.release(db_result)
                logger.error("task failed task=%s id=%s: worker %s lost, no attempts left",
                             db_result.task_path, db_result.pk, worker)
            else:
                DBTaskResult.objects.filter(pk=db_result.pk).update(
                    status=TaskResultStatus.READY, run_after=now)
                logger.warning("task requeued task=%s id=%s: worker %s stopped renewing its "
                               "lease", db_result.task_path, db_result.pk, worker)
            done += 1
    return done
