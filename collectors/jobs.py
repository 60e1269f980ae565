"""The scheduler's collector jobs: every due collector of every enabled tenant, and the syncs
an Administrator asked for with "Sync now"."""

from __future__ import annotations

import logging
import threading

from django.utils import timezone

from collectors.schedule import due_runs
from collectors.sync.runner import COLLECTORS, run_collector
from m365admin.choices import SyncTrigger
from m365admin.models import SyncRun, Tenant
from m365admin.scheduler import periodic

logger = logging.getLogger("collectors.sync")

# One sync at a time in this process: a tenant's collectors share its Graph throttling budget,
# and a requested sync must not run a collector beside the scheduled run of the same one.
_one_sync_at_a_time = threading.Lock()


@periodic("collectors.sync", every=lambda: 60.0)
def sync_due() -> None:
    with _one_sync_at_a_time:
        abandoned = SyncRun.objects.abandon_orphans()
        if abandoned:
            logger.warning("marked %d collector run(s) abandoned: their process stopped", abandoned)
        # One after another (see the lock).
        for tenant, collector in due_runs(timezone.now()):
            run_collector(tenant, collector, trigger=SyncTrigger.SCHEDULED)


@periodic("collectors.sync_requested", every=lambda: 2.0)
def sync_requested() -> None:
    for tenant in Tenant.objects.enabled().filter(sync_requested__isnull=False):
        with _one_sync_at_a_time:
            # Compare-and-set: a request is taken once, and a newer one is kept for later.
            taken = Tenant.objects.filter(
                pk=tenant.pk, sync_requested=tenant.sync_requested
            ).update(sync_requested=None)
            if not taken:
                continue
            logger.info("sync requested tenant=%s", tenant.tenant_id)
            for collector in COLLECTORS:
                run_collector(tenant, collector, trigger=SyncTrigger.MANUAL)
