"""Microsoft Teams (Workflows webhook, Adaptive Card) and Slack-compatible channels, posted to
a real receiver on loopback, and the "send a test" action."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from m365admin.choices import AlertSource
from monitoring import notify
from monitoring.models import Alert, AlertRule, Delivery, NotificationChannel
from tests.factories import make_tenant
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "samples" / "teams_workflows_card.json"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Adaptive Card 1.4 vocabulary used by the card (adaptivecards.io schema; Teams renders ≤ 1.5).
ELEMENTS = {"Container", "TextBlock", "FactSet"}
COLOURS = {"default", "accent", "good", "warning", "attention", "emphasis"}


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.PUBLIC_URL = "https://m365admin.example.com"
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def spray():
    rule = AlertRule.objects.create(name="Password spray", source=AlertSource.SECURITY,
                                    metric="password_spray", comparison="gte", threshold=1,
                                    severity="error")
    return Alert.objects.create(
        rule=rule, code=uuid.UUID("6f1c2d3e-0000-4000-8000-000000000001"), fingerprint="s",
        status="firing", severity="critical", labels={"ip": "203.0.113.9"},
        summary="Password spray (ip=203.0.113.9)", tenant=make_tenant(name="Contoso"),
        first_seen=T0,
    )


def _channel(kind: str, url: str) -> NotificationChannel:
    return NotificationChannel.objects.create(name=kind, kind=kind,
                                              config={"url": url, "timeout": 2.0})


def _send(kind: str, receiver: Receiver, alert: Alert) -> dict:
    channel = _channel(kind, receiver.url)
    notify.enqueue("firing", [alert], now=T0)
    assert notify.deliver_due(now=T0.replace(hour=10)) == 1
    assert Delivery.objects.get(channel=channel).status == "sent"
    (headers, body), = receiver.requests
    assert headers["Content-Type"] == "application/json" and "X-Signature" not in headers
    return json.loads(body)


def _elements(items: list[dict]):
    for item in items:
        yield item
        yield from _elements(item.get("items", []))


def test_teams_gets_the_recorded_adaptive_card(receiver, spray):
    payload = _send("teams", receiver, spray)
    assert payload == json.loads(SAMPLE.read_text())
    # The envelope Teams Workflows' "When a Teams webhook request is received" trigger reads.
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    for element in _elements(card["body"]):
        assert element["type"] in ELEMENTS
        assert element.get("color", "default") in COLOURS
        assert element.get("style", "default") in COLOURS
    assert card["body"][0]["style"] == "attention"  # critical
    assert card["body"][1]["selectAction"]["url"] == (
        f"https://m365admin.example.com/alerts/{spray.code}/")


def test_slack_gets_text_and_a_coloured_attachment(receiver, spray):
    payload = _send("slack", receiver, spray)
    assert payload["text"] == "Firing: 1 alert"
    (attachment,) = payload["attachments"]
    assert attachment["color"] == "#b3261e"
    assert attachment["text"] == (
        f"<https://m365admin.example.com/alerts/{spray.code}/|"
        "[Critical] Password spray (IP address=203.0.113.9) · Contoso>")


def test_without_public_url_messages_carry_no_links(receiver, spray, settings):
    settings.PUBLIC_URL = ""
    card = _send("teams", receiver, spray)["attachments"][0]["content"]
    assert "actions" not in card and "selectAction" not in card["body"][1]


@pytest.mark.parametrize("kind", ["teams", "slack"])
def test_chat_urls_are_checked_like_webhooks(kind, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    channel = NotificationChannel(name="x", kind=kind,
                                  config={"url": "http://169.254.169.254/latest"})
    with pytest.raises(ValidationError, match="url"):
        channel.full_clean()


def test_send_a_test_reports_success_and_failure(client, administrator, receiver):
    good = _channel("teams", receiver.url)
    receiver.statuses = [404, 200]  # in name order: slack, then teams
    bad = _channel("slack", receiver.url)
    client.force_login(administrator)
    response = client.post("/admin/monitoring/notificationchannel/", {
        "action": "send_test", "_selected_action": [good.pk, bad.pk]}, follow=True)
    assert sorted(str(m) for m in response.context["messages"]) == [
        "slack: the test message failed (HTTP 404).", "teams: test message sent."]
    tests = Delivery.objects.filter(event="test")
    assert sorted(tests.values_list("status", flat=True)) == ["failed", "sent"]
    card = json.loads(receiver.requests[1][1])["attachments"][0]["content"]
    assert card["body"][0]["items"][0]["text"] == (
        "Test message from m365admin: this channel works.")


def test_an_alert_page_says_when_no_channel_is_configured(client, viewer, spray):
    client.force_login(viewer)
    html = client.get(spray.get_absolute_url()).content.decode()
    assert "No notification channel is configured, so no one was notified." in html
    _channel("slack", "https://hooks.example.com/x")
    html = client.get(spray.get_absolute_url()).content.decode()
    assert "No notification was sent for this alert." in html
