"""The security page's figures, shared by /security/ and /api/v1/metrics/security."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from security.choices import EventKind, IPRuleAction
from security.models import IPRule, SecurityEvent

TOP_IPS = 10
LATEST_EVENTS = 50


def security_overview(hours: int = 24, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    recent = SecurityEvent.objects.filter(created__gte=since)
    # Events past an address's cap are one row whose count grows: sum the counts.
    events = Sum("count")
    # Both tallies from one scan of the day's events (a few rows per kind).
    by_kind: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    for kind, severity, n in recent.values_list("kind", "severity").annotate(n=events).order_by():
        by_kind[kind] += n
        by_severity[severity] += n
    return {
        "since": since,
        "until": now,
        "by_kind": dict(by_kind),
        "by_severity": dict(by_severity),
        # Charted by when they happened (a detection's first sign-in), not when they were
        # recorded: a 30-day backfill is not one spike at the sync time.
        "hourly": [
            {"hour": row["hour"], "kind": row["kind"], "count": row["n"]}
            for row in SecurityEvent.objects.annotate(at=Coalesce("window_start", "created"))
            .filter(at__gte=since, at__lte=now).annotate(hour=TruncHour("at"))
            .values("hour", "kind").annotate(n=events).order_by("hour", "kind")
        ],
        "top_ips": [
            {"ip_address": row["ip_address"], "events": row["n"], "kinds": row["kinds"]}
            for row in recent.exclude(ip_address=None).values("ip_address")
            .annotate(n=events, kinds=Count("kind", distinct=True))
            .order_by("-n", "ip_address")[:TOP_IPS]
        ],
        "lockouts": [
            {"username": a.username, "ip_address": a.ip_address, "failures": a.failures_since_start,
             "since": a.attempt_time, "until": a.attempt_time + settings.AXES_COOLOFF_TIME}
            for a in AccessAttempt.objects.filter(
                failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                attempt_time__gte=now - settings.AXES_COOLOFF_TIME,
            ).order_by("-attempt_time")
        ],
        "denied_networks": [
            {"network": r.network, "reason": r.reason, "author": r.author, "expires": r.expires}
            for r in IPRule.objects.filter(action=IPRuleAction.DENY, enabled=True).order_by("network")
            if r.in_force(now)
        ],
        "latest": list(recent.order_by("-created", "-id")[:LATEST_EVENTS]),
        "kinds": {str(k.value): str(k.label) for k in EventKind},
    }
