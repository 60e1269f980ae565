"""When each collector is due: its interval, and which tenants' runs are due now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max

from m365admin.choices import Collector
from m365admin.models import SyncRun, Tenant

_INTERVAL_SETTING: dict[str, str] = {
    Collector.SIGNINS: "SYNC_SIGNINS_MINUTES",
    Collector.SERVICE_HEALTH: "SYNC_SERVICE_HEALTH_MINUTES",
    Collector.USERS: "SYNC_DIRECTORY_MINUTES",
    Collector.SIGNIN_ACTIVITY: "SYNC_DIRECTORY_MINUTES",
    Collector.SKUS: "SYNC_DIRECTORY_MINUTES",
    Collector.SUBSCRIPTIONS: "SYNC_DIRECTORY_MINUTES",
    Collector.TEAMS: "SYNC_DIRECTORY_MINUTES",
    # Usage reports are refreshed by Microsoft once a day.
    Collector.MAILBOXES: "SYNC_REPORTS_MINUTES",
    Collector.ONEDRIVE: "SYNC_REPORTS_MINUTES",
}


def sync_interval(collector: str) -> timedelta:
    return timedelta(minutes=getattr(settings, _INTERVAL_SETTING[collector]))


def due_runs(now: datetime) -> list[tuple[Tenant, str]]:
    """(tenant, collector) pairs whose last run started at least one interval ago, in the
    collectors' order, so users sync before their sign-in activity."""
    last: dict[tuple[Any, str], datetime] = {
        (row["tenant"], row["collector"]): row["last"]
        for row in SyncRun.objects.values("tenant", "collector").annotate(last=Max("started"))
    }
    due = []
    for tenant in Tenant.objects.enabled():
        for collector in Collector:
            started = last.get((tenant.pk, collector.value))
            if started is None or now - started >= sync_interval(collector):
                due.append((tenant, collector.value))
    return due
