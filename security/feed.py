"""Security events and detection findings as records of the security feed (m365admin.feed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import translation

from m365admin import feed
from m365admin.models.feed import FeedType
from security.choices import DETECTION_KINDS

if TYPE_CHECKING:  # security.models publishes verdicts through this module
    from security.models import SecurityEvent


def publish(event: SecurityEvent) -> None:
    """Called in the transaction that writes the event: when a finding is created, extended
    or triaged, and when an attack on this app is recorded."""
    with translation.override("en"):  # integrations read one language
        title = str(event.get_kind_display())
    common = {"kind": event.kind, "title": title, "ip_address": event.ip_address,
              "details": event.details}
    if event.kind in DETECTION_KINDS:
        record = feed.record(
            FeedType.FINDING, event.pk, time=event.created, severity=event.severity,
            tenant=event.tenant, **common, users=event.users, countries=event.countries,
            window_start=feed.iso(event.window_start), window_end=feed.iso(event.window_end),
            evidence=event.evidence, historical=event.historical, verdict=event.verdict,
            verdict_by=event.verdict_by, verdict_at=feed.iso(event.verdict_at),
            verdict_note=event.verdict_note,
        )
    else:
        record = feed.record(
            FeedType.SECURITY_EVENT, event.pk, time=event.created, severity=event.severity,
            **common, username=event.username, method=event.method, path=event.path,
            location=event.location, blocked=event.blocked, count=event.count,
        )
    feed.publish([record])
