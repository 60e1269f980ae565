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
    transaction.on_commit(lambda: detect(instance.tenant))


def detect(tenant) -> None:
    summary = runner.run(tenant)
    if summary.read:
        logger.info("detections tenant=%s read=%d recorded=%d updated=%d suppressed=%d",
                    tenant.tenant_id, summary.read, summary.recorded, summary.updated,
                    summary.suppressed)
