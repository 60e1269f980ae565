"""/security/ and /api/v1/metrics/security: events over time, lockouts, denied networks, top IPs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from security.choices import EventKind
from security.models import IPRule, SecurityEvent

pytestmark = pytest.mark.django_db


def _events():
    now = timezone.now()
    for n, (kind, ip) in enumerate([(EventKind.SQL_INJECTION, "203.0.113.5")] * 3
                                   + [(EventKind.XSS, "203.0.113.5"),
                                      (EventKind.LOGIN_FAILED, "198.51.100.2")]):
        SecurityEvent.objects.create(kind=kind, severity="error", ip_address=ip,
                                     created=now - timedelta(minutes=n))
    SecurityEvent.objects.create(kind=EventKind.XSS, severity="error", ip_address="192.0.2.1",
                                 created=now - timedelta(days=3))  # outside the 24 h
    IPRule.objects.create(network="192.0.2.0/24", action="deny", reason="scanner")


def test_the_api_reports_the_last_24_hours(client, viewer):
    _events()
    client.force_login(viewer)
    data = client.get("/api/v1/metrics/security").json()
    assert data["by_kind"] == {"sql_injection": 3, "xss": 1, "login_failed": 1}
    assert data["top_ips"][0] == {"ip_address": "203.0.113.5", "events": 4, "kinds": 2}
    assert [r["network"] for r in data["denied_networks"]] == ["192.0.2.0/24"]
    assert len(data["latest"]) == 5
    assert sum(row["count"] for row in data["hourly"]) == 5
    assert client.get("/api/v1/metrics/security?hours=0").status_code == 400


def test_the_page_shows_the_chart_and_tables(client, viewer):
    _events()
    client.force_login(viewer)
    page = client.get("/security/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="security-chart"' in html and 'id="security-data"' in html
    assert "203.0.113.5" in html and "192.0.2.0/24" in html and "scanner" in html
    assert "Audit log" not in html  # a Viewer does not read the audit log


def test_an_empty_period_says_so(client, administrator):
    client.force_login(administrator)
    html = client.get("/security/").content.decode()
    assert "No security events in this period." in html
    assert "No sign-in is locked out." in html
    assert 'id="security-chart"' not in html
    assert "Audit log" in html


def test_the_chart_places_detections_at_their_sign_ins_not_at_the_sync(db):
    from datetime import UTC, datetime

    from security.overview import security_overview

    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    sync = now - timedelta(minutes=5)
    # Recorded at the same sync: one from sign-ins three hours ago, one from a 10-day backfill.
    for days, hours in ((0, 3), (10, 0)):
        happened = now - timedelta(days=days, hours=hours)
        SecurityEvent.objects.create(kind=EventKind.LEGACY_AUTH, severity="warning", created=sync,
                                     window_start=happened, window_end=happened)
    # A request event has no window: its recording time is when it happened.
    SecurityEvent.objects.create(kind=EventKind.XSS, severity="warning", created=sync)
    hourly = {(row["hour"], row["kind"]): row["count"]
              for row in security_overview(now=now)["hourly"]}
    assert hourly == {(datetime(2026, 12, 5, 9, tzinfo=UTC), EventKind.LEGACY_AUTH): 1,
                      (datetime(2026, 12, 5, 11, tzinfo=UTC), EventKind.XSS): 1}
