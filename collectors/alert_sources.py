"""Collectors failing, as alert observations (m365admin/registry/alert_sources.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from m365admin.choices import AlertSource, SyncStatus
from m365admin.models import SyncRun
from m365admin.registry.alert_sources import Observation, alert_source

# The runs looked at for "failing N runs in a row".
RECENT_RUNS = 10


@alert_source(AlertSource.SYNC)
def sync_failures() -> list[Observation]:
    """Per tenant and collector: failed runs since the last one that did not fail."""
    last_ok = {
        (row["tenant"], row["collector"]): row["last"]
        for row in SyncRun.objects.exclude(status__in=[SyncStatus.FAILED, SyncStatus.RUNNING])
        .values("tenant", "collector").annotate(last=Max("started"))
    }
    # (tenant pk, collector): the stubs type values() rows loosely.
    failures: dict[tuple[Any, Any], int] = {}
    rows = SyncRun.objects.filter(status=SyncStatus.FAILED).values("tenant", "collector", "started")
    for row in rows.order_by("-started")[: RECENT_RUNS * 100]:
        key = (row["tenant"], row["collector"])
        if last_ok.get(key) is None or row["started"] > last_ok[key]:
            failures[key] = failures.get(key, 0) + 1
    return [
        Observation(AlertSource.SYNC, "consecutive_failures",
                    {"tenant": str(tenant), "collector": collector}, float(n), tenant)
        for (tenant, collector), n in failures.items()
    ]
