"""Runs collectors for a tenant and records each run as a SyncRun row."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from collectors.clients import client_for
from collectors.graph import GraphError, GraphStats
from collectors.graph.stats import counting
from collectors.sync import (
    mailboxes,
    onedrive,
    service_health,
    signin_activity,
    signins,
    skus,
    subscriptions,
    teams,
    users,
)
from collectors.sync.base import Needs, Progress, SyncContext, SyncSkipped, count_graph
from m365admin import audit
from m365admin.choices import Collector, SyncStatus, SyncTrigger
from m365admin.lib.crypto import SecretUnreadable
from m365admin.licences.activity import refresh_activity
from m365admin.models import SyncCheckpoint, SyncRun, Tenant
from m365admin.registry import sync_steps
from m365admin.texts import Message, message

logger = logging.getLogger("collectors.sync")

# After these, last sign-ins and the seats idle accounts hold are recomputed (licences page).
ACTIVITY_COLLECTORS = (Collector.USERS, Collector.SIGNIN_ACTIVITY, Collector.SIGNINS)

# In the order a full sync runs them: users before their sign-in activity.
_MODULES = {
    Collector.USERS: users,
    Collector.SIGNIN_ACTIVITY: signin_activity,
    Collector.SKUS: skus,
    Collector.SUBSCRIPTIONS: subscriptions,
    Collector.SIGNINS: signins,
    Collector.MAILBOXES: mailboxes,
    Collector.ONEDRIVE: onedrive,
    Collector.TEAMS: teams,
    Collector.SERVICE_HEALTH: service_health,
}
COLLECTORS: dict[str, Callable[[SyncContext], None]] = {
    name: module.sync for name, module in _MODULES.items()
}
# What each collector needs from the tenant's app registration (the onboarding checklist).
NEEDS: dict[str, Needs] = {name: module.NEEDS for name, module in _MODULES.items()}


def run_collector(
    tenant: Tenant,
    collector: str,
    *,
    trigger: str = SyncTrigger.MANUAL,
    progress: Progress | None = None,
) -> SyncRun:
    """Run one collector for one tenant; never raises for Graph or data problems.

    The outcome is on the returned SyncRun: status, counts, and a one-line error.
    """
    # An earlier run of this collector whose process died is closed first, with how far it got.
    SyncRun.objects.filter(tenant=tenant, collector=collector).abandon_orphans()
    run = SyncRun.objects.create(tenant=tenant, collector=collector, trigger=trigger)
    progress = progress or Progress()
    with counting() as graph:
        try:
            checkpoint, _ = SyncCheckpoint.objects.get_or_create(tenant=tenant,
                                                                 collector=collector)
            ctx = SyncContext(tenant, client_for(tenant), run, checkpoint, progress, graph)
            COLLECTORS[collector](ctx)
        except SyncSkipped as exc:
            _finish(run, graph, SyncStatus.SKIPPED, exc.text, exc.code)
        except GraphError as exc:
            _finish(run, graph, SyncStatus.FAILED, exc.described(),
                    exc.code or str(exc.status or ""))
        except SecretUnreadable as exc:
            _finish(run, graph, SyncStatus.FAILED,
                    message("sync.secret_unreadable", error=str(exc)), "secret_unreadable")
        except Exception as exc:
            # A bug, not an operator problem: keep the traceback in the log for developers.
            logger.exception("collector crashed tenant=%s collector=%s", tenant.tenant_id,
                             collector)
            _finish(run, graph, SyncStatus.FAILED,
                    message("sync.internal", error=type(exc).__name__), "internal")
        else:
            _finish(run, graph, SyncStatus.SUCCEEDED)
        finally:
            progress.close()
    # Skipped too: a tenant found to lack Entra ID P1 drops out of the inactive counts.
    if collector in ACTIVITY_COLLECTORS and run.status != SyncStatus.FAILED:
        refresh_activity(tenant, assignments_changed=collector == Collector.USERS)
    return run


def _finish(run: SyncRun, graph: GraphStats, status: str, error: Message = "",
            code: str = "") -> None:
    # The page transactions committed what they could; this closes the run row, with the
    # Graph requests made since its last page.
    with transaction.atomic():
        count_graph(run, graph)
        run.finish(status, error=error, error_code=code)
        audit.record("sync.run", run.tenant, {
            "collector": run.collector, "trigger": run.trigger, "status": status,
            "written": run.written, "removed": run.removed, "rejected": run.rejected,
            "error": run.error,
        })
        # The sync flow's last steps, committed with the run (the sign-ins' detections, queued).
        sync_steps.follow(run)
    log = logger.info if status == SyncStatus.SUCCEEDED else logger.warning
    log(
        "run tenant=%s collector=%s status=%s pages=%d written=%d removed=%d rejected=%d%s",
        run.tenant.tenant_id, run.collector, status, run.pages, run.written, run.removed,
        run.rejected, f" error={run.error}" if run.error else "",
    )
