"""Detections follow each sign-in sync, for that tenant (DESIGN.md: incremental), whoever
ran the sync: the scheduler or `manage.py sync`."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from m365admin.choices import Collector, SyncStatus
from m365admin.models import SyncRun
from security.detections import runner

logger = logging.getLogger(__name__)


@receiver(post_save, sender=SyncRun, dispatch_uid="detections_after_signin_sync")
def _after_signin_sync(sender, instance: SyncRun, **kwargs) -> None:
    # A failed run may still have committed pages: the detections read whatever arrived.
    if instance.collector != Collector.SIGNINS or instance.status not in (
            SyncStatus.SUCCEEDED, SyncStatus.FAILED):
        return
    backfill = is_initial_backfill(instance)
    transaction.on_commit(lambda: detect(instance.tenant, backfill=backfill))


def is_initial_backfill(run: SyncRun) -> bool:
    """The tenant's initial sign-in sync (however many runs it took): no sign-in sync of the
    tenant succeeded before this run."""
    return not SyncRun.objects.filter(
        tenant=run.tenant_id, collector=Collector.SIGNINS, status=SyncStatus.SUCCEEDED,
        started__lt=run.started,
    ).exists()


def detect(tenant, *, backfill: bool = False) -> None:
    summary = runner.run(tenant, backfill=backfill)
    if summary.read:
        logger.info("detections tenant=%s read=%d recorded=%d updated=%d suppressed=%d",
                    tenant.tenant_id, summary.read, summary.recorded, summary.updated,
                    summary.suppressed)
