"""Notification channels in the admin (write-only secret, validation) and the delivery log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

from monitoring.choices import DeliveryStatus
from monitoring.models import Delivery, NotificationChannel
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

ADD = "/admin/monitoring/notificationchannel/add/"
PUBLIC = "https://8.8.8.8/hooks/m365admin"  # a global address: passes the SSRF check, no DNS


def _form(**fields) -> dict:
    return {"name": "On-call", "kind": "webhook", "enabled": "on", "min_severity": "warning",
            "emails": "", "url": PUBLIC, "timeout": "10", "secret": "a-shared-signing-secret",
            **fields}


def _errors(response) -> dict:
    return {name: [str(e) for e in errors]
            for name, errors in response.context["adminform"].form.errors.items()}


def test_a_webhook_channel_stores_its_secret_encrypted_and_never_shows_it(client, admin):
    client.force_login(admin)
    response = client.post(ADD, _form(sources=["metric", "component"]))
    assert response.status_code == 302, _errors(response)
    channel = NotificationChannel.objects.get()
    assert channel.sources == ["metric", "component"]
    assert channel.secret() == "a-shared-signing-secret"
    assert "a-shared-signing-secret" not in channel.secret_encrypted

    page = client.get(f"/admin/monitoring/notificationchannel/{channel.pk}/change/")
    assert b"a-shared-signing-secret" not in page.content
    assert channel.secret_encrypted.encode() not in page.content
    # Saved again with the secret left blank: the stored one stays.
    response = client.post(f"/admin/monitoring/notificationchannel/{channel.pk}/change/",
                           _form(name="Renamed", secret=""))
    assert response.status_code == 302, _errors(response)
    channel.refresh_from_db()
    assert (channel.name, channel.secret()) == ("Renamed", "a-shared-signing-secret")


def test_a_new_webhook_channel_needs_a_secret(client, admin):
    client.force_login(admin)
    response = client.post(ADD, _form(secret=""))
    assert _errors(response) == {"secret": ["A webhook channel needs a signing secret."]}
    assert not NotificationChannel.objects.exists()


@pytest.mark.parametrize(("url", "message"), [
    ("http://127.0.0.1:8080/hook", "loopback, link-local or private"),
    ("http://169.254.169.254/latest/meta-data/", "loopback, link-local or private"),
    ("http://[::1]/hook", "loopback, link-local or private"),
    ("http://10.1.2.3/hook", "loopback, link-local or private"),
    ("ftp://8.8.8.8/hook", "Use an http:// or https:// URL."),
])
def test_unsafe_webhook_urls_are_refused_on_the_form(client, admin, url, message):
    client.force_login(admin)
    response = client.post(ADD, _form(url=url))
    assert response.status_code == 200
    assert any(message in error for error in _errors(response)["url"])
    assert not NotificationChannel.objects.exists()


def test_email_channels_validate_each_address(client, admin):
    client.force_login(admin)
    response = client.post(ADD, _form(kind="email", url="", secret="",
                                      emails="ops@example.com, not-an-address"))
    assert _errors(response) == {"emails": ["not-an-address is not an email address."]}
    response = client.post(ADD, _form(kind="email", url="", secret="",
                                      emails="ops@example.com\nsecurity@example.com"))
    assert response.status_code == 302
    assert NotificationChannel.objects.get().config == {
        "emails": ["ops@example.com", "security@example.com"]}


def test_viewers_and_operators_do_not_see_channels(client, viewer, operator):
    # Webhook URLs (Teams, Slack) are bearer secrets themselves, and addresses are configuration.
    viewer.is_staff = True
    viewer.save()
    for user in (viewer, operator):
        client.force_login(user)
        assert client.get("/admin/monitoring/notificationchannel/").status_code == 403
        assert client.get("/admin/monitoring/delivery/").status_code == 403


def test_a_view_only_page_never_renders_the_secret(client, django_user_model):
    reader = django_user_model.objects.create_user("reader", password="pw-reader-123456",
                                                   is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(codename="view_notificationchannel"))
    channel = NotificationChannel(name="Ops", kind="webhook", config={"url": PUBLIC})
    channel.set_secret("a-shared-signing-secret")
    channel.save()
    client.force_login(reader)
    assert client.post(ADD, _form()).status_code == 403
    page = client.get(f"/admin/monitoring/notificationchannel/{channel.pk}/change/")
    assert page.status_code == 200 and PUBLIC.encode() in page.content
    # The view-only page must not render the secret through the model's decrypting method.
    assert b"a-shared-signing-secret" not in page.content
    assert NotificationChannel.objects.count() == 1


def _delivery(channel, status: str) -> Delivery:
    delivery = Delivery.objects.create(channel=channel, event="firing", status=status,
                                       due=datetime(2026, 11, 28, tzinfo=UTC), attempts=5,
                                       status_code=500, error="HTTP 500")
    delivery.alerts.add(make_alert())
    return delivery


def test_failed_deliveries_can_be_sent_again_from_the_log(client, admin):
    channel = NotificationChannel.objects.create(name="Ops", kind="email",
                                                 config={"emails": ["a@example.com"]})
    failed, sent = _delivery(channel, DeliveryStatus.FAILED), _delivery(channel, DeliveryStatus.SENT)
    client.force_login(admin)
    page = client.get("/admin/monitoring/delivery/")
    assert page.status_code == 200 and b"HTTP 500" in page.content
    response = client.post("/admin/monitoring/delivery/", {
        "action": "send_again", "_selected_action": [failed.pk, sent.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["1 delivery queued again."]
    failed.refresh_from_db()
    sent.refresh_from_db()
    # The five attempts stay counted (and in the history); a new round of retries starts.
    assert (failed.status, failed.attempts, failed.attempts_this_round) == ("queued", 5, 0)
    assert sent.status == "sent"


def test_the_delivery_log_is_read_only(client, admin, django_user_model):
    channel = NotificationChannel.objects.create(name="Ops", kind="email",
                                                 config={"emails": ["a@example.com"]})
    failed = _delivery(channel, DeliveryStatus.FAILED)
    client.force_login(admin)
    page = client.get(f"/admin/monitoring/delivery/{failed.pk}/change/")
    assert page.status_code == 200 and b'name="status"' not in page.content
    assert client.get("/admin/monitoring/delivery/add/").status_code == 403

    reader = django_user_model.objects.create_user("reader", password="pw-reader-123456",
                                                   is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(codename="view_delivery"))
    client.force_login(reader)
    client.post("/admin/monitoring/delivery/", {
        "action": "send_again", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == "failed"  # the action is not offered to a reader; nothing moved
