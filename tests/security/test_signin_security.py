"""Sign-in lockout (browser and token endpoint), JWT rotation and reuse, Argon2 hashing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from m365admin.models.audit import AuditEntry
from security.choices import EventKind
from security.models import SecurityEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN, REFRESH, REVOKE = "/api/v1/auth/token", "/api/v1/auth/token/refresh", "/api/v1/auth/token/revoke"
IP = "203.0.113.50"


def _login(client, password: str, username: str = "victor", ip: str = IP):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _token(client, password: str, username: str = "victor", ip: str = IP):
    return client.post(TOKEN, {"username": username, "password": password},
                       content_type="application/json", REMOTE_ADDR=ip)


def test_the_sign_in_page_locks_after_exactly_five_failures(client, viewer):
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200  # the form again, with its error
    locked = _login(client, "wrong")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 30 * 60
    assert b"Sign-in locked" in locked.content
    # Locked means locked: the right password is refused too, without being checked.
    assert _login(client, "pw-victor-123456").status_code == 429
    # Another address, or another username from this one, is not locked.
    assert _login(client, "pw-victor-123456", ip="198.51.100.1").status_code == 302
    assert SecurityEvent.objects.filter(kind=EventKind.LOCKOUT).count() == 1
    assert SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAILED).count() >= 5
    assert AuditEntry.objects.filter(action="auth.lockout", target="victor").count() == 1


def test_an_administrator_unlocks_in_the_admin(client, viewer, admin):
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, "pw-victor-123456").status_code == 429
    client.force_login(admin)
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = client.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": attempts, "post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert _login(client, "pw-victor-123456").status_code == 302


def test_the_token_endpoint_answers_429_once_locked(client, viewer):
    for _ in range(4):
        assert _token(client, "wrong").status_code == 401
    locked = _token(client, "wrong")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 30 * 60
    assert "try again later" in locked.json()["detail"]
    assert _token(client, "pw-victor-123456").status_code == 429


def test_a_token_reads_the_api_for_an_hour(client, viewer):
    tokens = _token(client, "pw-victor-123456").json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}
    assert client.get("/api/v1/tenants/", **bearer).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        expired = client.get("/api/v1/tenants/", **bearer)
    assert expired.status_code == 401
    assert AuditEntry.objects.filter(action="auth.token_issued", actor="victor").exists()


def test_a_token_carries_the_users_role(client, outsider):
    tokens = _token(client, "pw-oscar-123456", username="oscar").json()
    response = client.get("/api/v1/tenants/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert response.status_code == 403


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(client, viewer):
    first = _token(client, "pw-victor-123456").json()["refresh"]
    rotated = client.post(REFRESH, {"refresh": first}, content_type="application/json")
    assert rotated.status_code == 200
    second = rotated.json()["refresh"]
    assert second != first
    # Someone replays the first one: refused, recorded, and the live one dies with it.
    replay = client.post(REFRESH, {"refresh": first}, content_type="application/json",
                         REMOTE_ADDR="192.0.2.66")
    assert replay.status_code == 401
    (event,) = SecurityEvent.objects.filter(kind=EventKind.TOKEN_REUSE)
    assert (event.username, event.ip_address, event.severity) == ("victor", "192.0.2.66",
                                                                   "critical")
    assert client.post(REFRESH, {"refresh": second},
                       content_type="application/json").status_code == 401


def test_a_revoked_refresh_token_no_longer_refreshes(client, viewer):
    refresh = _token(client, "pw-victor-123456").json()["refresh"]
    assert client.post(REVOKE, {"refresh": refresh},
                       content_type="application/json").status_code == 200
    assert client.post(REFRESH, {"refresh": refresh},
                       content_type="application/json").status_code == 401
    assert AuditEntry.objects.filter(action="auth.token_revoked", target__contains="victor")


def test_garbage_tokens_are_a_plain_401(client):
    for body in ({"refresh": "not.a.jwt"}, {"refresh": 12}, {}):
        response = client.post(REFRESH, body, content_type="application/json")
        assert response.status_code in (400, 401)
    assert not SecurityEvent.objects.filter(kind=EventKind.TOKEN_REUSE).exists()


def test_passwords_are_hashed_with_argon2_and_pbkdf2_is_upgraded(client, viewer, settings):
    from django.conf import global_settings  # noqa: F401  (the production list is ours)

    from m365admin import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert make_password("a-new-password-1").startswith("argon2")
    viewer.password = make_password("pw-victor-123456", hasher="pbkdf2_sha256")
    viewer.save()
    assert _login(client, "pw-victor-123456").status_code == 302
    viewer.refresh_from_db()
    assert viewer.password.startswith("argon2")
