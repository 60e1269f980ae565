"""/alerts/: grouped worst first, and acting on ticked alerts in bulk with one note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from m365admin.choices import AlertSource, Severity
from m365admin.models.audit import AuditEntry
from monitoring.choices import AlertStatus
from monitoring.models import Alert, AlertRule, Silence
from tests.factories import make_alert, make_tenant

pytestmark = pytest.mark.django_db

LIST = "/alerts/"
BULK = "/alerts/bulk"


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def incidents():
    rule = AlertRule.objects.create(name="Sign-in from a new country", severity="info",
                                    source=AlertSource.SECURITY, metric="new_country",
                                    comparison="gte", threshold=1)
    tenant = make_tenant(name="Fabrikam")
    return [make_alert(rule=rule, tenant=tenant, labels={"user": f"u{i}", "tenant": "1"})
            for i in range(3)]


def test_the_list_groups_by_rule_worst_first_and_names_tenants(client, viewer, incidents):
    error = make_alert(severity=Severity.ERROR, summary="Disk full")
    client.force_login(viewer)
    page = client.get(LIST)
    groups = page.context["groups"]
    assert [(g.severity, g.count) for g in groups] == [("error", 1), ("info", 3)]
    html = page.content.decode()
    assert "3 × Sign-in from a new country" in html and "Fabrikam" in html
    assert html.index("Disk full") < html.index("3 × Sign-in")
    assert 'name="alerts"' not in html  # a viewer gets no tick boxes
    assert {a.pk for a in groups[1].alerts} == {a.pk for a in incidents}
    assert error.pk == groups[0].alerts[0].pk


def test_one_rule_and_a_chosen_order_give_a_flat_sorted_table(client, viewer, incidents):
    client.force_login(viewer)
    rule = incidents[0].rule
    page = client.get(LIST, {"status": ["firing", "acknowledged"], "rule": str(rule.code)})
    assert not page.context["grouped"]
    assert [a.pk for a in page.context["page_obj"]] == [a.pk for a in reversed(incidents)]


def test_silenced_alerts_stay_listed_with_their_badge(client, operator, incidents):
    Alert.objects.filter(pk=incidents[0].pk).update(silenced=True)
    ends = timezone.now() + timedelta(hours=4)
    Silence.objects.create(rule=incidents[0].rule, matchers={"user": "u0"}, ends=ends,
                           reason="travel", author=operator)
    client.force_login(operator)
    html = client.get(LIST).content.decode()
    until = timezone.localtime(ends).strftime("%Y-%m-%d %H:%M")
    assert f"silenced until {until}" in html


def test_an_operator_acknowledges_in_bulk(client, operator, incidents):
    client.force_login(operator)
    response = client.post(BULK, {"alerts": [str(a.code) for a in incidents[:2]],
                                  "action": "acknowledge", "note": "looking", "next": LIST},
                           follow=True)
    assert _messages(response) == ["2 acknowledged"]
    assert list(Alert.objects.filter(status=AlertStatus.ACKNOWLEDGED)
                .values_list("acknowledged_by", flat=True)) == [operator.pk] * 2


def test_bulk_resolve_reports_what_did_not_move(client, operator, cpu_rule, incidents):
    firing_cpu = make_alert(rule=cpu_rule, value=95, last_seen=timezone.now())
    client.force_login(operator)
    codes = [str(incidents[0].code), str(firing_cpu.code)]
    response = client.post(BULK, {"alerts": codes, "action": "resolve", "note": "done"},
                           follow=True)
    assert _messages(response) == [
        "1 resolved; 1 still firing (it resolves by itself once its condition clears)"]
    response = client.post(BULK, {"alerts": [str(incidents[1].code)], "action": "resolve"},
                           follow=True)
    assert _messages(response) == ["0 resolved; 1 incident needs a note"]


def test_bulk_silence_needs_a_reason_then_silences_each_alert(client, operator, incidents):
    client.force_login(operator)
    codes = [str(a.code) for a in incidents[:2]]
    response = client.post(BULK, {"alerts": codes, "action": "silence", "duration": "4h"},
                           follow=True)
    assert _messages(response) == ["Note: A silence needs a reason: write it in the note."]
    assert not Silence.objects.exists()
    response = client.post(BULK, {"alerts": codes, "action": "silence", "duration": "4h",
                                  "note": "known travel"}, follow=True)
    assert _messages(response)[0].startswith("2 alerts silenced until ")
    assert set(Alert.objects.filter(silenced=True).values_list("pk", flat=True)) == {
        incidents[0].pk, incidents[1].pk}
    assert AuditEntry.objects.filter(action="silence.create").count() == 2


def test_bulk_refuses_nothing_ticked_viewers_and_foreign_next(client, operator, viewer,
                                                               incidents):
    client.force_login(operator)
    response = client.post(BULK, {"action": "acknowledge", "next": "https://evil.example/"},
                           follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert _messages(response) == ["Alerts: Tick at least one alert."]
    client.force_login(viewer)
    assert client.post(BULK, {"alerts": [str(incidents[0].code)],
                              "action": "acknowledge"}).status_code == 403
