"""Collector runs as tasks: one per tenant and collector, queued at most once, run by any
worker (docs/tasks.md)."""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task

from collectors.sync.runner import run_collector
from m365admin.choices import SyncStatus, SyncTrigger
from m365admin.models import Tenant
from m365admin.taskqueue import claims, leases

# "Sync now" overtakes the scheduled runs (and a tenant's 30-day backfill) queued before it.
SCHEDULED_PRIORITY = 0
MANUAL_PRIORITY = 50


class CollectorFailed(Exception):
    """The run failed (its SyncRun says why): the worker retries it after a backoff."""


@task(takes_context=True)
def run_collector_task(context: TaskContext[Any, Any], tenant_pk: int, collector: str,
                       trigger: str) -> dict[str, Any]:
    tenant = Tenant.objects.enabled().filter(pk=tenant_pk).first()
    if tenant is None:
        return {"skipped": "the tenant was deleted or disabled after the run was queued"}
    leases.take_tenant_slot(context, tenant)
    run = run_collector(tenant, collector, trigger=trigger)
    if run.status == SyncStatus.FAILED:
        raise CollectorFailed(f"{tenant.name} {collector}: {run.error}")
    return {"sync_run": run.pk, "status": run.status, "written": run.written}


def enqueue_run(tenant: Tenant, collector: str, trigger: str) -> bool:
    """Queue a run unless one of this tenant's collector is queued or running already."""
    manual = trigger == SyncTrigger.MANUAL
    return claims.enqueue_once(
        run_collector_task, tenant, collector,
        priority=MANUAL_PRIORITY if manual else SCHEDULED_PRIORITY,
        # A requested sync must run after the click, even if a scheduled run is under way.
        again_if_running=manual,
        tenant_pk=tenant.pk, collector=collector, trigger=trigger,
    )
