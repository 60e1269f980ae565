"""Silences made from an alert's page, listed at /alerts/silences/ and expired from there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from m365admin.choices import AlertSource
from m365admin.models.audit import AuditEntry
from m365admin.registry.alert_sources import Observation
from monitoring.alerts import alerting
from monitoring.choices import AlertStatus
from monitoring.models import Alert, AlertRule, Delivery, NotificationChannel, Silence
from monitoring.models.alerts import fingerprint
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

SILENCES = "/alerts/silences/"


@pytest.fixture
def spray():
    rule = AlertRule.objects.create(name="Password spray", severity="error",
                                    source=AlertSource.SECURITY, metric="password_spray",
                                    comparison="gte", threshold=1)
    return make_alert(rule=rule, labels={"ip": "203.0.113.9", "tenant": "4"})


def _silence(client, alert, **fields):
    data = {"duration": "1h", "same_rule": "on", "label_ip": alert.labels["ip"],
            "label_tenant": alert.labels["tenant"], "reason": "pen test this afternoon",
            **fields}
    return client.post(f"/alerts/{alert.code}/silence", data, follow=True)


def test_the_alert_page_offers_a_silence_prefilled_from_its_labels(client, operator, spray):
    client.force_login(operator)
    html = client.get(spray.get_absolute_url()).content.decode()
    assert 'name="label_ip"' in html and 'value="203.0.113.9"' in html
    assert 'name="same_rule"' in html and "Password spray" in html
    for value in ("1h", "4h", "24h", "until"):
        assert f'value="{value}"' in html


def test_silencing_for_an_hour_mutes_it_at_once_with_a_badge_and_an_audit_entry(
        client, operator, spray):
    client.force_login(operator)
    response = _silence(client, spray)
    silence = Silence.objects.get()
    assert (silence.rule, silence.matchers, silence.author) == (
        spray.rule, {"ip": "203.0.113.9", "tenant": "4"}, operator)
    assert timedelta(minutes=59) < silence.ends - timezone.now() <= timedelta(hours=1)
    assert Alert.objects.get().silenced
    html = response.content.decode()
    assert 'id="silenced-until"' in html and "silenced until" in html
    entry = AuditEntry.objects.get(action="silence.create")
    assert entry.actor == operator.get_username()
    assert entry.details["reason"] == "pen test this afternoon"


def test_matchers_are_edited_in_the_form(client, operator, spray):
    other = make_alert(rule=spray.rule, labels={"ip": "198.51.100.1", "tenant": "4"})
    client.force_login(operator)
    _silence(client, spray, label_ip="")  # every address of tenant 4
    assert Silence.objects.get().matchers == {"tenant": "4"}
    assert Alert.objects.filter(silenced=True).count() == 2
    assert other.pk in Alert.objects.filter(silenced=True).values_list("pk", flat=True)


@pytest.mark.parametrize("fields, error", [
    ({"reason": ""}, "This field is required."),
    ({"duration": "until", "until": ""}, "Give the date and time the silence ends."),
    ({"duration": "until", "until": "2020-01-01T10:00"}, "The end must be in the next 30 days."),
    ({"same_rule": "", "label_ip": "", "label_tenant": ""},
     "A silence must match something: keep the rule or a label."),
])
def test_a_bad_silence_is_refused_with_the_reason(client, operator, spray, fields, error):
    client.force_login(operator)
    response = _silence(client, spray, **fields)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Silence.objects.exists() and not Alert.objects.get().silenced


def test_a_silence_until_a_time(client, operator, spray):
    client.force_login(operator)
    until = timezone.localtime() + timedelta(days=2)
    _silence(client, spray, duration="until", until=until.strftime("%Y-%m-%dT%H:%M"))
    assert Silence.objects.get().ends == until.replace(second=0, microsecond=0)


def test_silenced_alerts_are_not_sent(client, operator, cpu_rule):
    NotificationChannel.objects.create(name="ops", kind="webhook",
                                       config={"url": "https://hooks.example.com/x"})
    firing = make_alert(rule=cpu_rule, labels={}, status=AlertStatus.PENDING,
                        first_seen=timezone.now() - timedelta(minutes=5),
                        fingerprint=fingerprint(cpu_rule, {}))
    Silence.create(rule=cpu_rule, matchers={}, ends=timezone.now() + timedelta(hours=1),
                   reason="upgrade", author=operator)
    alerting.evaluate([Observation(AlertSource.METRIC, "cpu", {}, 95.0)])
    firing.refresh_from_db()
    assert (firing.status, firing.silenced) == (AlertStatus.FIRING, True)
    assert not Delivery.objects.exists()


def test_the_silence_list_shows_them_and_expires_one(client, operator, spray):
    client.force_login(operator)
    _silence(client, spray)
    silence = Silence.objects.get()
    page = client.get(SILENCES)
    html = page.content.decode()
    assert "pen test this afternoon" in html and "Ending within the hour" in html
    assert [s.muting for s in page.context["silences"]] == [1]
    response = client.post(f"{SILENCES}{silence.code}/expire", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The silence has ended; its alerts are heard again."]
    assert not Alert.objects.get().silenced
    assert AuditEntry.objects.filter(action="silence.expire").count() == 1
    response = client.post(f"{SILENCES}{silence.code}/expire", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["This silence had already ended."]


def test_viewers_see_silences_but_cannot_make_or_end_them(client, viewer, operator, spray):
    silence = Silence.create(rule=None, matchers={"ip": "203.0.113.9"},
                             ends=timezone.now() + timedelta(hours=3), reason="x",
                             author=operator)
    client.force_login(viewer)
    page = client.get(SILENCES)
    assert page.status_code == 200 and "Expire now" not in page.content.decode()
    assert "label_ip" not in client.get(spray.get_absolute_url()).content.decode()
    assert _silence(client, spray).status_code == 403
    assert client.post(f"{SILENCES}{silence.code}/expire").status_code == 403


def test_outsiders_are_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(SILENCES).status_code == 403
