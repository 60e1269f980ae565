"""Run the detections over a tenant's sign-ins that arrived since the last run.

Incremental by sign-in id (ids grow with insertion, so a sign-in that arrives late, with an
old time, is still new here). The cursor is per tenant and the run follows that tenant's
sign-in sync, the only writer of its sign-ins, so no id below the cursor can still be in an
open transaction. Each batch is one transaction: its findings and the cursor move together,
so a run stopped anywhere resumes after the last batch it finished, and findings are upserted
by key, so reading the same sign-ins again adds nothing.

A `backfill` run (the tenant's initial sign-in sync) records every finding as historical,
whatever its age: a newly connected tenant must not page anyone for its past. A historical
finding that a later run extends with a fresh sign-in is an attack still going on: it turns
live, recorded again at that moment, and alerts like any new finding (docs/monitoring.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from m365admin.choices import SEVERITY_RANK
from m365admin.models import SignIn, Tenant
from m365admin.registry import detections as registry
from security import feed
from security.detections import exceptions
from security.detections.base import Context, Finding, Row, rows
from security.models import DetectionCursor, DetectionSettings, SecurityEvent

logger = logging.getLogger(__name__)

# An event keeps this many sign-ins as evidence (the first ones); details carry the total.
EVIDENCE_LIMIT = 200


@dataclass
class Summary:
    read: int = 0
    recorded: int = 0
    updated: int = 0
    suppressed: int = 0


def run(tenant: Tenant, *, batch: int = 5000, backfill: bool = False,
        progress: Callable[[int], None] | None = None) -> Summary:
    summary = Summary()
    cursor, _ = DetectionCursor.objects.get_or_create(name=f"signins:{tenant.pk}")
    while True:
        with transaction.atomic():
            # Locked: a second run for the tenant waits, then starts after this one's batch.
            last = DetectionCursor.objects.select_for_update().get(pk=cursor.pk).last_id
            new = rows(SignIn.objects.filter(tenant=tenant, id__gt=last).order_by("id")[:batch])
            if not new:
                return summary
            _detect(tenant, new, summary, backfill)
            DetectionCursor.objects.filter(pk=cursor.pk).update(last_id=new[-1].id)
        summary.read += len(new)
        if progress:
            progress(len(new))


def _detect(tenant: Tenant, new: list[Row], summary: Summary, backfill: bool) -> None:
    settings, _ = DetectionSettings.objects.get_or_create(tenant=tenant)
    ctx = Context(tenant, settings, new)
    accepted = exceptions.active(tenant)
    for detection in registry.DETECTIONS:
        for finding in detection.detect(ctx):
            if exceptions.suppresses(accepted, finding):
                summary.suppressed += 1
            elif _store(tenant, finding, backfill):
                summary.recorded += 1
            else:
                summary.updated += 1


def _historical(evidence: list[Row], now) -> bool:
    """A finding whose latest evidence is already old when first found (a collector catching
    up) is history: recorded, but no one is paged about it."""
    return evidence[-1].created < now - timedelta(hours=settings.ALERT_MAX_EVENT_AGE_HOURS)


def _store(tenant: Tenant, finding: Finding, backfill: bool = False) -> bool:
    """Create the finding's event, or extend the one with its key; True when created."""
    evidence = sorted({r.id: r for r in finding.evidence}.values(), key=lambda r: (r.created, r.id))
    event = SecurityEvent.objects.select_for_update().filter(dedup_key=finding.dedup_key).first()
    if event is not None:
        known = set(event.evidence)
        added = [r for r in evidence if r.graph_id not in known]
        if not added:
            return False
        fields = ["evidence", "users", "countries", "window_start", "window_end", "details",
                  "severity", "changed"]
        if event.historical and not backfill and not _historical(added, timezone.now()):
            # The attack goes on after the backfill: recorded again now, so it alerts.
            event.historical, event.created = False, timezone.now()
            fields += ["historical", "created"]
        event.evidence = (event.evidence + [r.graph_id for r in added])[:EVIDENCE_LIMIT]
        event.users = sorted(set(event.users) | set(finding.users))
        event.countries = sorted(set(event.countries) | set(finding.countries))
        event.window_start = min(event.window_start, evidence[0].created)
        event.window_end = max(event.window_end, evidence[-1].created)
        event.details = {**event.details, **finding.details,
                         "sign_ins": event.details.get("sign_ins", 0) + len(added)}
        # A later part may make it worse (a brute force followed by a success), never milder.
        if finding.severity and SEVERITY_RANK[finding.severity] > SEVERITY_RANK[event.severity]:
            event.severity = finding.severity
        event.save(update_fields=fields)
        feed.publish(event)
        return False
    now = timezone.now()
    event = SecurityEvent.objects.create(
        created=now, kind=finding.kind, tenant=tenant,
        historical=backfill or _historical(evidence, now),
        severity=finding.severity or registry.SEVERITIES[finding.kind],
        ip_address=finding.ip_address, username=finding.users[0] if len(finding.users) == 1 else "",
        users=sorted(finding.users), countries=finding.countries,
        window_start=evidence[0].created, window_end=evidence[-1].created,
        evidence=[r.graph_id for r in evidence][:EVIDENCE_LIMIT],
        details={**finding.details, "sign_ins": len(evidence)}, dedup_key=finding.dedup_key,
    )
    feed.publish(event)
    return True
