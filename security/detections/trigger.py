"""Detections follow each sign-in sync, for that tenant (DESIGN.md: incremental), whoever
ran the sync: a worker or `manage.py sync`. The sync queues them in the transaction that
closes its run, as a step registered after the sign-in collector
(m365admin/registry/sync_steps.py); a worker runs them, apart from the sync, so a
30-day backfill's detections neither slow the sync nor hold its worker's tenant slot."""

from __future__ import annotations

import logging

from django.tasks import task

from m365admin.choices import Collector, SyncStatus
from m365admin.models import SyncRun, Tenant
from m365admin.registry.sync_steps import after_sync
from m365admin.taskqueue import claims
from security.detections import runner

logger = logging.getLogger(__name__)

# The claim kind of a tenant's detections (collectors claim theirs by collector name).
DETECTIONS = "detections"


@task()
def detect_task(tenant_pk: int, backfill: bool) -> dict:
    tenant = Tenant.objects.filter(pk=tenant_pk).first()
    if tenant is None:
        return {"skipped": "the tenant was deleted after its detections were queued"}
    summary = detect(tenant, backfill=backfill)
    return {"read": summary.read, "recorded": summary.recorded}


@after_sync(Collector.SIGNINS)
def enqueue_after_signin_sync(run: SyncRun) -> None:
    """Queue the tenant's detections after a sign-in run; in the transaction closing it."""
    # A failed run may still have committed pages: the detections read whatever arrived.
    if run.status not in (SyncStatus.SUCCEEDED, SyncStatus.FAILED):
        return
    # Queued once: one waiting run reads every sign-in stored before it starts, and one
    # asked for while another runs follows it.
    claims.enqueue_once(detect_task, run.tenant, DETECTIONS, again_if_running=True,
                        tenant_pk=run.tenant_id, backfill=is_initial_backfill(run))


def is_initial_backfill(run: SyncRun) -> bool:
    """The tenant's initial sign-in sync (however many runs it took): no sign-in sync of the
    tenant succeeded before this run."""
    return not SyncRun.objects.filter(
        tenant=run.tenant_id, collector=Collector.SIGNINS, status=SyncStatus.SUCCEEDED,
        started__lt=run.started,
    ).exists()


def detect(tenant: Tenant, *, backfill: bool = False) -> runner.Summary:
    summary = runner.run(tenant, backfill=backfill)
    if summary.read:
        logger.info("detections tenant=%s read=%d recorded=%d updated=%d suppressed=%d",
                    tenant.tenant_id, summary.read, summary.recorded, summary.updated,
                    summary.suppressed)
    return summary
