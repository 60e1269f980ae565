"""Disabling a rule closes its alerts; disabling a channel cancels what it had queued — through
the admin, a plain save, or a bulk update the scheduler catches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin import audit
from m365admin.models.audit import AuditEntry
from monitoring import notify
from monitoring.alerts import alerting
from monitoring.choices import AlertStatus, DeliveryStatus
from monitoring.models import Alert, AlertRule, Delivery, NotificationChannel
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _hook(url: str) -> NotificationChannel:
    channel = NotificationChannel(name="On-call hook", kind="webhook",
                                  config={"url": url, "timeout": 1.0})
    channel.set_secret("a-shared-signing-secret")
    channel.save()
    return channel


def _rule_form(rule: AlertRule, **fields) -> dict:
    form = {"name": rule.name, "source": rule.source, "metric": rule.metric,
            "comparison": rule.comparison, "threshold": rule.threshold,
            "for_seconds": rule.for_seconds, "hysteresis": rule.hysteresis,
            "severity": rule.severity, "tenant": "", "enabled": "on"}
    return {name: value for name, value in {**form, **fields}.items() if value is not None}


def test_disabling_a_rule_in_the_admin_resolves_its_open_alerts_with_a_note(
        client, admin, cpu_rule, receiver):
    _hook(receiver.url)
    firing = make_alert(rule=cpu_rule)
    acknowledged = make_alert(rule=cpu_rule, status="acknowledged")
    pending = make_alert(rule=cpu_rule, status="pending")
    other = make_alert()  # another rule's alert stays open
    client.force_login(admin)
    response = client.post(f"/admin/monitoring/alertrule/{cpu_rule.pk}/change/",
                           _rule_form(cpu_rule, enabled=None))
    assert response.status_code == 302
    for alert in (firing, acknowledged):
        alert.refresh_from_db()
        assert (alert.status, alert.resolved_by) == (AlertStatus.RESOLVED, admin)
        assert alert.transitions.get().note == "Rule disabled by alice"
    assert not Alert.objects.filter(pk=pending.pk).exists()  # it never fired
    other.refresh_from_db()
    assert other.status == AlertStatus.FIRING
    entries = AuditEntry.objects.filter(action="alert.resolve")
    assert sorted(e.details["note"] for e in entries) == ["Rule disabled by alice"] * 2
    assert {e.actor for e in entries} == {"alice"}
    # Receivers that heard them fire hear them resolve.
    (delivery,) = Delivery.objects.all()
    assert delivery.event == "resolved"
    assert set(delivery.alerts.all()) == {firing, acknowledged}


def test_a_rule_disabled_by_a_bulk_update_is_closed_by_the_next_evaluation(cpu_rule):
    alert = make_alert(rule=cpu_rule, value=95.0)
    AlertRule.objects.filter(pk=cpu_rule.pk).update(enabled=False)  # skips AlertRule.save
    alerting.evaluate([], now=T0)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.transitions.get().note == "Rule disabled"


def test_saving_an_enabled_rule_closes_nothing(cpu_rule):
    alert = make_alert(rule=cpu_rule)
    cpu_rule.threshold = 70
    cpu_rule.save()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FIRING


def test_disabling_a_channel_cancels_its_queued_deliveries(cpu_rule, receiver, admin):
    channel = _hook(receiver.url)
    notify.enqueue("firing", [make_alert(rule=cpu_rule)], now=T0)
    token = audit.current_caller.set(audit.Caller(admin))  # as the admin's request would
    try:
        channel.enabled = False
        channel.save()
    finally:
        audit.current_caller.reset(token)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.error) == (DeliveryStatus.CANCELLED,
                                                 "Channel disabled by alice")
    assert notify.deliver_due(now=T0 + timedelta(minutes=5)) == 0
    assert receiver.requests == []


def test_a_channel_disabled_by_a_bulk_update_sends_nothing(cpu_rule, receiver):
    channel = _hook(receiver.url)
    notify.enqueue("firing", [make_alert(rule=cpu_rule)], now=T0)
    NotificationChannel.objects.filter(pk=channel.pk).update(enabled=False)
    assert notify.deliver_due(now=T0 + timedelta(minutes=5)) == 0
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.error) == (DeliveryStatus.CANCELLED, "Channel disabled")
