"""Notifiers: one registered class per kind, each checking its own config with messages that
say what to fix; the admin shows the kinds' fields, not JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from m365admin.registry import notifiers
from monitoring import notify
from monitoring.choices import DeliveryStatus
from monitoring.models import Delivery, NotificationChannel
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PUBLIC = "https://8.8.8.8/hooks/m365admin"


def _errors(kind: str, config) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        NotificationChannel(name="x", kind=kind, config=config).clean()
    return error.value.message_dict


def test_every_kind_is_registered_with_its_label():
    assert dict(notifiers.choices()) == {
        "email": "Email", "slack": "Slack-compatible webhook",
        "teams": "Microsoft Teams (Workflows webhook)", "webhook": "Webhook"}


def test_a_valid_config_is_stored_with_its_defaults():
    channel = NotificationChannel(name="x", kind="teams", config={"url": PUBLIC})
    channel.clean()
    assert channel.config == {"url": PUBLIC, "timeout": 10.0}


@pytest.mark.parametrize(("kind", "config", "field", "message"), [
    ("webhook", {"url": PUBLIC, "timeout": "fast"}, "timeout", "Expected `float`, got `str`"),
    ("webhook", {"url": PUBLIC, "timeout": 600}, "timeout", "Expected `float` <= 60.0"),
    ("slack", {}, "url", "Object missing required field `url`"),
    ("teams", {"url": PUBLIC, "colour": "red"}, "colour", "unknown field `colour`"),
    ("email", {"emails": "ops@example.com"}, "emails", "Expected `array`, got `str`"),
    ("email", ["ops@example.com"], "config", "Expected `object`, got `array`"),
])
def test_a_config_of_the_wrong_shape_names_the_field_to_fix(kind, config, field, message):
    assert message in " ".join(_errors(kind, config)[field])


def test_an_unknown_kind_is_refused_with_the_kinds_there_are():
    errors = _errors("pager", {})
    assert any("email, slack, teams, webhook" in e for e in errors["kind"])


def test_a_config_broken_after_saving_fails_for_good_with_the_reason():
    channel = NotificationChannel.objects.create(name="ops", kind="email",
                                                 config={"emails": "ops@example.com"})
    notify.enqueue("firing", [make_alert(first_seen=T0)], now=T0)
    notify.deliver_due(now=T0 + timedelta(minutes=1))
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.error.startswith("bad channel config: emails: Expected `array`")


def test_the_admin_shows_each_kinds_fields_not_json(client, admin):
    client.force_login(admin)
    page = client.get("/admin/monitoring/notificationchannel/add/").content.decode()
    for name in ("emails", "url", "timeout", "secret"):
        assert f'name="{name}"' in page
    assert 'name="config"' not in page
    assert "Used by: Slack-compatible webhook, Microsoft Teams (Workflows webhook), Webhook." in page


def test_the_change_page_shows_the_stored_config(client, admin):
    channel = NotificationChannel.objects.create(
        name="Ops", kind="email", config={"emails": ["a@example.com", "b@example.com"]})
    client.force_login(admin)
    page = client.get(f"/admin/monitoring/notificationchannel/{channel.pk}/change/")
    assert "a@example.com\nb@example.com</textarea>" in page.content.decode()
