"""The scheduler's collector job: run every due collector of every enabled tenant."""

from __future__ import annotations

import logging

from django.utils import timezone

from collectors.schedule import due_runs
from collectors.sync.runner import run_collector
from m365admin.choices import SyncTrigger
from m365admin.models import SyncRun
from m365admin.scheduler import periodic

logger = logging.getLogger("collectors.sync")


@periodic("collectors.sync", every=lambda: 60.0)
def sync_due() -> None:
    abandoned = SyncRun.objects.abandon_orphans()
    if abandoned:
        logger.warning("marked %d collector run(s) abandoned: their process stopped", abandoned)
    # One after another: a tenant's collectors share its Graph throttling budget.
    for tenant, collector in due_runs(timezone.now()):
        run_collector(tenant, collector, trigger=SyncTrigger.SCHEDULED)
