"""Alert titles in the reader's language, built from translatable templates; the stored
summary stays the English record."""

from __future__ import annotations

import pytest
from django.utils import translation

from m365admin.choices import AlertSource
from monitoring.alerts.titles import alert_title, rule_title
from monitoring.models import AlertRule
from tests.factories import make_alert, make_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request in Japanese leaves Japanese active in this thread: later tests expect English."""
    yield
    translation.activate("en")


def test_seeded_rules_read_japanese_with_their_labels():
    with translation.override("ja"):
        assert alert_title("Component down: graph", {"component": "graph"}, "") == (
            "コンポーネント停止: Microsoft Graph")
        assert alert_title("Password spray", {"ip": "203.0.113.9", "tenant": "4"}, "") == (
            "パスワード スプレー (IP アドレス=203.0.113.9)")
        assert rule_title("Revoked token reused") == "失効したトークンの再利用"
    with translation.override("en"):
        assert alert_title("Password spray", {"ip": "203.0.113.9"}, "") == (
            "Password spray (IP address=203.0.113.9)")


def test_a_rule_named_in_the_admin_keeps_its_name_and_summary():
    with translation.override("ja"):
        assert alert_title("Night batch slow", {"component": "api"},
                           "Night batch slow (component=api)") == "Night batch slow (component=api)"
        assert rule_title("Component down: toaster") == "Component down: toaster"


def test_the_japanese_pages_and_api_read_japanese(client, viewer):
    rule = AlertRule.objects.create(name="Microsoft 365 service degraded", severity="warning",
                                    source=AlertSource.SERVICE_HEALTH, metric="level",
                                    comparison="gte", threshold=1)
    alert = make_alert(rule=rule, tenant=make_tenant(name="Contoso"),
                       summary="Microsoft 365 service degraded (service=Exchange)",
                       labels={"service": "Exchange", "tenant": "1"})
    client.force_login(viewer)
    expected = "Microsoft 365 サービスの低下 (サービス=Exchange)"
    page = client.get(alert.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert expected in page
    assert expected in client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    body = client.get("/api/v1/alerts/groups/", HTTP_ACCEPT_LANGUAGE="ja").json()
    assert body["results"][0]["rule"] == "Microsoft 365 サービスの低下"
    assert body["results"][0]["alerts"][0]["title"] == expected
    # The record itself stays as it was written.
    assert body["results"][0]["alerts"][0]["summary"] == (
        "Microsoft 365 service degraded (service=Exchange)")
