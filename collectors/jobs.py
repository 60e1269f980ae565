"""The scheduler's collector jobs: they decide what is due and queue it; workers run it
(collectors/tasks.py)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from collectors.schedule import due_runs
from collectors.sync.runner import COLLECTORS
from collectors.tasks import enqueue_run
from m365admin.choices import SyncTrigger
from m365admin.models import SyncRun, Tenant
from m365admin.scheduler import periodic
from m365admin.taskqueue.leases import requeue_expired

logger = logging.getLogger("collectors.sync")

_ORDER = list(COLLECTORS)


@periodic("collectors.sync", every=lambda: 60.0)
def sync_due() -> None:
    abandoned = SyncRun.objects.abandon_orphans()
    if abandoned:
        logger.warning("marked %d collector run(s) abandoned: their process stopped", abandoned)
    # Workers do this too; the scheduler as well, in case every worker is gone.
    requeue_expired()
    # Collector by collector across tenants: with several workers, every tenant's first
    # collector starts before any tenant's second, and a tenant's stay in their order.
    due = sorted(due_runs(timezone.now()), key=lambda pair: _ORDER.index(pair[1]))
    queued = sum(enqueue_run(tenant, collector, SyncTrigger.SCHEDULED)
                 for tenant, collector in due)
    if queued:
        logger.info("queued %d collector run(s)", queued)


@periodic("collectors.sync_requested", every=lambda: 2.0)
def sync_requested() -> None:
    for tenant in Tenant.objects.enabled().filter(sync_requested__isnull=False):
        with transaction.atomic():
            # Compare-and-set: a request is taken once, and a newer one is kept for later.
            taken = Tenant.objects.filter(
                pk=tenant.pk, sync_requested=tenant.sync_requested
            ).update(sync_requested=None)
            if not taken:
                continue
            logger.info("sync requested tenant=%s", tenant.tenant_id)
            for collector in COLLECTORS:
                enqueue_run(tenant, collector, SyncTrigger.MANUAL)
