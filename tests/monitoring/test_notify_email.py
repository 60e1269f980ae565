"""Email notifications: any Django backend with its own options, a job error never leaves a
delivery `sending`, and each recipient's message in their zone with links to the alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from m365admin.lib import mailers
from m365admin.models.preferences import Preference
from monitoring import notify
from monitoring.choices import DeliveryStatus
from monitoring.models import Delivery, NotificationChannel
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 12, 0, 5, 123456, tzinfo=UTC)


def _queue(*emails: str) -> tuple[NotificationChannel, object]:
    channel = NotificationChannel.objects.create(name="Ops mail", kind="email",
                                                 config={"emails": list(emails or ["ops@example.com"])})
    alert = make_alert(first_seen=T0)
    notify.enqueue("firing", [alert], now=T0)
    return channel, alert


def _deliver() -> Delivery:
    notify.deliver_due(now=T0 + timedelta(minutes=1))
    return Delivery.objects.get()


def test_the_file_backend_gets_its_folder_from_email_file_path(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("EMAIL_FILE_PATH", str(tmp_path / "mail"))
    settings.MAILERS = {"default": {"BACKEND": mailers.FILE,
                                    "OPTIONS": mailers.mailer_options(mailers.FILE)}}
    _queue()
    delivery = _deliver()
    assert (delivery.status, delivery.error) == (DeliveryStatus.SENT, "")
    (written,) = (tmp_path / "mail").iterdir()
    assert "Subject: [m365admin] Firing: 1 alert" in written.read_text()


def test_smtp_options_come_from_the_email_variables(monkeypatch):
    for name, value in {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": "2525",
                        "EMAIL_HOST_USER": "m365", "EMAIL_HOST_PASSWORD": "pw",
                        "EMAIL_USE_SSL": "True"}.items():
        monkeypatch.setenv(name, value)
    options = mailers.mailer_options(mailers.SMTP)
    assert options == {"host": "smtp.example.com", "port": 2525, "username": "m365",
                       "password": "pw", "use_tls": False, "use_ssl": True, "timeout": 30.0}


def test_another_backend_gets_the_json_options(monkeypatch):
    monkeypatch.setenv("EMAIL_OPTIONS", '{"api_key": "k", "region": "eu"}')
    assert mailers.mailer_options("anymail.backends.example.EmailBackend") == {
        "api_key": "k", "region": "eu"}


def test_a_backend_that_refuses_its_options_fails_the_check(settings):
    settings.MAILERS = {"default": {"BACKEND": mailers.FILE, "OPTIONS": {}}}
    (error,) = mailers.check_mailer(None)
    assert error.id == "m365admin.E101" and "file_path" in error.msg


def test_an_error_inside_the_job_fails_the_attempt_with_its_reason(settings):
    # The crash of issue 20: the file backend without its folder raised out of the job and
    # left the delivery `sending` with no attempt counted.
    settings.MAILERS = {"default": {"BACKEND": mailers.FILE, "OPTIONS": {}}}
    settings.NOTIFY_MAX_ATTEMPTS = 2
    settings.NOTIFY_RETRY_SECONDS = 10
    channel, _alert = _queue()
    delivery = _deliver()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
    assert "InvalidMailer" in delivery.error and "file_path" in delivery.error
    notify.deliver_due(now=T0 + timedelta(minutes=5))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert [a.error for a in delivery.history.all()] == [delivery.error] * 2
    channel.refresh_from_db()
    assert channel.failing


def test_each_recipient_reads_times_in_their_zone_and_links_to_the_alert(
        settings, django_user_model):
    settings.PUBLIC_URL = "https://m365admin.example.com"
    settings.TIME_ZONE_DEFAULT = "Europe/Paris"
    tokyo = django_user_model.objects.create_user("aki", email="Aki@Example.jp")
    Preference.objects.create(user=tokyo, time_zone="Asia/Tokyo")
    _channel, alert = _queue("aki@example.jp", "someone@example.com")
    assert _deliver().status == DeliveryStatus.SENT
    bodies = {message.to[0]: message.body for message in mail.outbox}
    link = f"https://m365admin.example.com/alerts/{alert.code}/"
    assert "2026-11-28 21:00" in bodies["aki@example.jp"]
    assert "Asia/Tokyo" in bodies["aki@example.jp"]
    assert "2026-11-28 13:00" in bodies["someone@example.com"]
    assert "Europe/Paris" in bodies["someone@example.com"]
    for body in bodies.values():
        assert link in body and "https://m365admin.example.com/alerts/\n" in body
        assert "12:00:05" not in body and "123456" not in body  # no raw ISO time



def test_a_person_who_picked_japanese_gets_their_email_in_japanese(client, django_user_model):
    aki = django_user_model.objects.create_user("aki", email="aki@example.jp",
                                                password="pw-aki-123456789")
    client.force_login(aki)
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert response.status_code == 302
    assert Preference.objects.get(user=aki).language == "ja"
    _queue("aki@example.jp", "someone@example.com")
    _deliver()
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {"aki@example.jp": "[m365admin] 発生中: 1 件のアラート",
                        "someone@example.com": "[m365admin] Firing: 1 alert"}
    (japanese,) = [m for m in mail.outbox if m.to == ["aki@example.jp"]]
    assert "初回検出日時" in japanese.body and "UTC" in japanese.body


def test_an_unknown_language_is_not_remembered(client, django_user_model):
    aki = django_user_model.objects.create_user("aki", email="aki@example.jp")
    client.force_login(aki)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert not Preference.objects.filter(user=aki).exists()
