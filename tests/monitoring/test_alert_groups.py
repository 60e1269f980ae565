"""Alerts grouped by rule, the worst first: the dashboard panel's API and /alerts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from m365admin.choices import AlertSource, Severity
from monitoring.alerts import grouping
from monitoring.choices import AlertStatus
from monitoring.models import Alert, AlertRule
from tests.factories import make_alert, make_tenant

pytestmark = pytest.mark.django_db

GROUPS = "/api/v1/alerts/groups/"


@pytest.fixture
def mixed():
    """37 info alerts of one rule (newest), one error, two warnings of another rule."""
    AlertRule.objects.all().delete()
    tenant = make_tenant(name="Contoso")
    now = timezone.now()
    country = AlertRule.objects.create(name="Sign-in from a new country", severity="info",
                                       source=AlertSource.SECURITY, metric="new_country",
                                       comparison="gte", threshold=1)
    for i in range(37):
        make_alert(rule=country, tenant=tenant, last_seen=now - timedelta(seconds=i))
    spray = AlertRule.objects.create(name="Password spray", severity="error",
                                     source=AlertSource.SECURITY, metric="password_spray",
                                     comparison="gte", threshold=1)
    make_alert(rule=spray, tenant=tenant, last_seen=now - timedelta(hours=3))
    disk = AlertRule.objects.create(name="Disk full", severity="warning",
                                    source=AlertSource.METRIC, metric="disk",
                                    comparison="gt", threshold=90)
    make_alert(rule=disk, last_seen=now - timedelta(hours=1))
    make_alert(rule=disk, last_seen=now - timedelta(minutes=1), severity=Severity.CRITICAL)
    make_alert(rule=disk, status=AlertStatus.RESOLVED)
    return tenant


def test_groups_come_worst_first_with_their_counts(mixed):
    groups, total = grouping.by_rule(Alert.objects.open(), groups=10, per_group=3)
    assert total == 3
    assert [(g.rule.name, g.severity, g.count) for g in groups] == [
        ("Disk full", "critical", 2), ("Password spray", "error", 1),
        ("Sign-in from a new country", "info", 37)]
    assert [a.severity for a in groups[0].alerts] == ["critical", "warning"]
    newest = groups[2].alerts
    assert len(newest) == 3 and newest[0].last_seen > newest[1].last_seen > newest[2].last_seen


def test_the_api_groups_and_names_the_tenant(client, viewer, mixed):
    client.force_login(viewer)
    body = client.get(GROUPS, {"open": "true", "per_group": 2}).json()
    assert (body["count"], body["alerts"]) == (3, 40)
    first, second, third = body["results"]
    assert (first["rule"], first["count"], first["severity"]) == ("Disk full", 2, "critical")
    assert (third["rule"], third["count"], len(third["alerts"])) == (
        "Sign-in from a new country", 37, 2)
    assert {a["tenant_name"] for a in second["alerts"] + third["alerts"]} == {"Contoso"}


def test_the_api_refuses_bad_sizes_and_outsiders(client, viewer, outsider, mixed):
    client.force_login(viewer)
    assert client.get(GROUPS, {"groups": 0}).status_code == 400
    client.force_login(outsider)
    assert client.get(GROUPS).status_code == 403
