"""Security events as alert observations (m365admin/registry/alert_sources.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from m365admin.choices import SEVERITY_RANK, AlertSource
from m365admin.registry.alert_sources import Observation, alert_source
from security.choices import EVENT_SEVERITY
from security.models import SecurityEvent


@alert_source(AlertSource.SECURITY)
def security_events(now: datetime | None = None) -> list[Observation]:
    """Per tenant, event kind and source (the IP, else the username): events in the recent
    window, with the time of the latest. Historical findings (a backfill) stay out."""
    since = (now or timezone.now()) - timedelta(minutes=settings.SECURITY_ALERT_WINDOW_MINUTES)
    rows = (SecurityEvent.objects.filter(created__gte=since, historical=False)
            .values("kind", "severity", "ip_address", "username", "tenant")
            .annotate(n=Sum("count"), latest=Max("created")))
    # (kind, "ip" or "user", the address or name, the tenant or None)
    counts: dict[tuple[str, str, str, Any], tuple[int, datetime]] = {}
    for row in rows:
        if SEVERITY_RANK[row["severity"]] < SEVERITY_RANK[EVENT_SEVERITY[row["kind"]]]:
            continue  # recorded below its kind's level on purpose: not for alerts
        label, value = ("ip", row["ip_address"]) if row["ip_address"] else ("user",
                                                                             row["username"])
        key = (row["kind"], label, value, row["tenant"])
        n, latest = counts.get(key, (0, row["latest"]))
        counts[key] = (n + row["n"], max(latest, row["latest"]))
    return [Observation(AlertSource.SECURITY, kind,
                        {label: value, **({"tenant": str(tenant)} if tenant else {})},
                        float(n), tenant, latest)
            for (kind, label, value, tenant), (n, latest) in counts.items()]
