"""Notifications: routing, grouping, signed webhooks to a real receiver, retries, give-up."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError

from m365admin.choices import AlertSource
from m365admin.registry.alert_sources import Observation
from monitoring import notify
from monitoring.alerts import alerting
from monitoring.choices import DeliveryStatus
from monitoring.messages import Tick
from monitoring.models import Alert, AlertRule, Delivery, NotificationChannel
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def rule():
    AlertRule.objects.all().delete()
    return AlertRule.objects.create(
        name="CPU high", source=AlertSource.METRIC, metric="cpu", comparison="gt",
        threshold=80, for_seconds=1, hysteresis=5, severity="error",
    )


def _webhook(url: str, **fields) -> NotificationChannel:
    channel = NotificationChannel(name="hook", kind="webhook",
                                  config={"url": url, "timeout": 1.0}, **fields)
    channel.set_secret("s3cret")
    channel.save()
    return channel


def _alerts(rule, n: int, **fields) -> list[Alert]:
    return [Alert.objects.create(rule=rule, fingerprint=f"{i:064x}", status="firing",
                                 severity=rule.severity, summary=f"alert {i}", value=90.0,
                                 first_seen=T0, **fields) for i in range(n)]


def test_a_burst_is_grouped_into_one_signed_webhook(receiver, rule):
    _webhook(receiver.url)
    for alert in _alerts(rule, 50):  # fifty alerts firing one after another within the window
        notify.enqueue("firing", [alert], now=T0)
    assert notify.deliver_due(now=T0 + timedelta(seconds=29)) == 0  # the window is still open
    assert notify.deliver_due(now=T0 + timedelta(seconds=31)) == 1
    (headers, body), = receiver.requests
    signed = headers["X-Signature-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "firing" and len(payload["alerts"]) == 50
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.status_code, delivery.attempts) == ("sent", 200, 1)


def test_server_errors_are_retried_with_backoff_until_delivered(receiver, rule):
    receiver.statuses = [500, 503]
    _webhook(receiver.url)
    notify.enqueue("firing", _alerts(rule, 1), now=T0)
    moment = T0 + timedelta(seconds=30)
    notify.deliver_due(now=moment)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.error, delivery.due) == (
        "queued", "HTTP 500", moment + timedelta(seconds=10))
    assert notify.deliver_due(now=moment + timedelta(seconds=5)) == 0  # not due yet
    notify.deliver_due(now=moment + timedelta(seconds=10))
    delivery.refresh_from_db()
    assert delivery.due == moment + timedelta(seconds=30)  # 10 s, then 20 s
    notify.deliver_due(now=moment + timedelta(seconds=30))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("sent", 3, 3)


def test_a_receiver_that_does_not_answer_in_time_is_a_timeout(receiver, rule):
    receiver.delay = 2.0
    channel = _webhook(receiver.url)
    channel.config["timeout"] = 0.5
    channel.save()
    notify.enqueue("firing", _alerts(rule, 1), now=T0)
    started = time.monotonic()
    notify.deliver_due(now=T0 + timedelta(minutes=1))
    assert time.monotonic() - started < 1.5
    assert Delivery.objects.get().error == "no answer within 0.5 s"


def test_a_channel_that_keeps_failing_gives_up_and_raises_its_own_alert(receiver, settings,
                                                                         default_rules):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    rule = AlertRule.objects.get(name="CPU above 80 %")
    receiver.statuses = [500] * 5
    channel = _webhook(receiver.url)
    notify.enqueue("firing", _alerts(rule, 1), now=T0)
    for minutes in (1, 2, 3):
        notify.deliver_due(now=T0 + timedelta(minutes=minutes))
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert len(receiver.requests) == 2  # not retried forever
    channel.refresh_from_db()
    assert channel.failing
    for seconds in (0, 2):
        alerting.evaluate(alerting.observe(Tick()), now=T0 + timedelta(minutes=5, seconds=seconds))
    alert = Alert.objects.get(rule__name="Notification channel failing")
    assert alert.status == "firing"
    # Named as people know the channel, not by its code.
    assert alert.labels == {"channel": "hook"}
    assert alert.summary == alert.title == "Notification channel failing (channel=hook)"
    assert str(channel.code) not in alert.summary + alert.title
    # Renamed (or disabled, or deleted), the old name's alert clears.
    channel.name = "On-call hook"
    channel.save()
    alerting.evaluate(alerting.observe(Tick()), now=T0 + timedelta(minutes=6))
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert Alert.objects.get(status="pending").labels == {"channel": "On-call hook"}


def _verification_snippet():
    """The Python block under "Verifying a webhook signature" in docs/monitoring.md."""
    text = (Path(settings.BASE_DIR) / "docs" / "monitoring.md").read_text()
    section = text[text.index("### Verifying a webhook signature"):]
    start = section.index("```python\n") + len("```python\n")
    code = section[start:section.index("\n```", start)]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 — our own documentation, run as a receiver would
    return namespace["verify"], namespace["TOLERANCE_SECONDS"]


def test_the_documented_check_verifies_a_webhook_and_refuses_a_replay(receiver, rule):
    verify, tolerance = _verification_snippet()
    assert tolerance == 300
    _webhook(receiver.url)
    notify.enqueue("firing", _alerts(rule, 1), now=T0)
    notify.deliver_due(now=T0 + timedelta(minutes=1))
    (headers, body), = receiver.requests
    timestamp = int(headers["X-Signature-Timestamp"])
    assert abs(time.time() - timestamp) < 5
    assert verify("s3cret", headers, body)
    assert not verify("other-secret", headers, body)
    assert not verify("s3cret", headers, body.replace(b"firing", b"resolved"))
    # The same request replayed later than the window is refused, and so is one whose
    # timestamp was changed to look recent (the signature covers it).
    assert verify("s3cret", headers, body, now=timestamp + 299)
    assert not verify("s3cret", headers, body, now=timestamp + 301)
    moved = {**headers, "X-Signature-Timestamp": str(timestamp + 600)}
    assert not verify("s3cret", moved, body, now=timestamp + 600)
    # The signature is not the body's alone (the replayable scheme of before).
    body_only = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] != body_only


def test_every_attempt_is_kept_and_sending_again_adds_to_the_history(receiver, rule, settings,
                                                                     client, admin):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 503, 200]
    _webhook(receiver.url)
    (alert,) = _alerts(rule, 1)
    notify.enqueue("firing", [alert], now=T0)
    for minutes in (1, 2):
        notify.deliver_due(now=T0 + timedelta(minutes=minutes))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    client.force_login(admin)
    client.post("/admin/monitoring/delivery/", {"action": "send_again",
                                                "_selected_action": [delivery.pk]})
    notify.deliver_due()  # queued again for now
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    history = list(delivery.history.all())
    assert [(a.status_code, a.error) for a in history] == [
        (500, "HTTP 500"), (503, "HTTP 503"), (200, "")]
    assert [a.at for a in history[:2]] == [T0 + timedelta(minutes=m) for m in (1, 2)]
    assert all(a.duration_ms > 0 for a in history)
    page = client.get(f"/admin/monitoring/delivery/{delivery.pk}/change/").content.decode()
    assert "HTTP 500" in page and "HTTP 503" in page
    page = client.get(alert.get_absolute_url()).content.decode()
    assert page.count("<li>2026-") == 3 and "HTTP 503" in page


def test_a_client_error_is_not_retried(receiver, rule):
    receiver.statuses = [404]
    _webhook(receiver.url)
    notify.enqueue("firing", _alerts(rule, 1), now=T0)
    notify.deliver_due(now=T0 + timedelta(minutes=1))
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_a_delivery_left_mid_send_by_a_dead_scheduler_is_sent_again(receiver, rule):
    _webhook(receiver.url)
    notify.enqueue("firing", _alerts(rule, 1), now=T0)
    Delivery.objects.update(status=DeliveryStatus.SENDING, claimed=T0 + timedelta(seconds=30))
    assert notify.deliver_due(now=T0 + timedelta(minutes=1)) == 0  # its claim is recent
    assert notify.deliver_due(now=T0 + timedelta(minutes=6)) == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_evaluation_queues_firing_and_resolved_notifications(receiver, rule):
    _webhook(receiver.url)
    for seconds, value in ((0, 90), (2, 90), (4, 50)):
        alerting.evaluate([Observation(AlertSource.METRIC, "cpu", {}, value)],
                          now=T0 + timedelta(seconds=seconds))
    assert sorted(Delivery.objects.values_list("event", flat=True)) == ["firing", "resolved"]


def test_routing_by_severity_source_and_tenant(rule):
    tenant = make_tenant()
    (alert,) = _alerts(rule, 1, tenant=tenant)
    assert NotificationChannel(min_severity="warning").wants(alert)
    assert not NotificationChannel(min_severity="critical").wants(alert)
    assert not NotificationChannel(min_severity="info", sources=["component"]).wants(alert)
    assert not NotificationChannel(min_severity="info", tenant=make_tenant()).wants(alert)


def test_silenced_and_held_back_alerts_are_not_sent(receiver, rule):
    _webhook(receiver.url)
    silenced, held = _alerts(rule, 2)
    silenced.silenced = True
    held.inhibited_by = silenced
    notify.enqueue("firing", [silenced, held], now=T0)
    assert not Delivery.objects.exists()


def test_email_goes_through_djangos_backend(rule):
    NotificationChannel.objects.create(name="ops", kind="email",
                                       config={"emails": ["ops@example.com", "a@b.jp"]})
    notify.enqueue("firing", _alerts(rule, 2), now=T0)
    notify.deliver_due(now=T0 + timedelta(minutes=1))
    assert [message.to for message in mail.outbox] == [["ops@example.com"], ["a@b.jp"]]
    for message in mail.outbox:
        assert message.subject == "[m365admin] Firing: 2 alerts"
        assert "alert 0" in message.body and "alert 1" in message.body


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hook", "http://[::1]/hook", "ftp://example.com/x",
])
def test_webhooks_to_internal_addresses_are_refused_by_default(url):
    channel = NotificationChannel(name="x", kind="webhook", config={"url": url})
    with pytest.raises(ValidationError) as error:
        channel.clean()
    assert "url" in error.value.message_dict


def test_internal_webhooks_are_allowed_when_configured(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    NotificationChannel(name="x", kind="webhook",
                        config={"url": "http://127.0.0.1:8000/hook"}).clean()


@pytest.mark.parametrize("emails", [[], ["not-an-address"], ["ops@example.com", "nope"]])
def test_email_addresses_are_validated(emails):
    with pytest.raises(ValidationError) as error:
        NotificationChannel(name="x", kind="email", config={"emails": emails}).clean()
    assert "emails" in error.value.message_dict
