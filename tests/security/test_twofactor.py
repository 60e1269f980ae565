"""Two-factor sign-in: enrolment, codes, recovery codes, throttling, who must, and removal.

These tests sign in through the login form, so the session starts unverified, as a real one
does (force_login would verify it: tests/conftest.py).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from m365admin.asgi import application
from m365admin.lib.apipath import API_PREFIX
from m365admin.models.audit import AuditEntry
from monitoring.consumers import CLOSE_FORBIDDEN
from security import otp
from security.choices import EventKind
from security.middleware import TWO_FACTOR_OPEN_ROUTES
from security.models import SecurityEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
PASSWORDS = {"alice": "pw-alice-123456", "adam": "pw-adam-123456",
             "victor": "pw-victor-123456"}
SETUP, VERIFY, MANAGE = ("/accounts/two-factor/setup/", "/accounts/two-factor/verify/",
                         "/accounts/two-factor/")


@pytest.fixture(autouse=True)
def clock(time_machine):
    # TOTP codes follow the clock, and each is accepted once: tests move it on by steps.
    time_machine.move_to(NOW, tick=False)
    return time_machine


def sign_in(client, user, next_url: str = "") -> None:
    """Through the login form: the password only, as a browser does."""
    data = {"username": user.username, "password": PASSWORDS[user.username]}
    response = client.post("/accounts/login/", {**data, "next": next_url} if next_url else data)
    assert response.status_code == 302, response.content.decode()[:500]


def code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong(device: TOTPDevice) -> str:
    return f"{(int(code(device)) + 1) % 1_000_000:06d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


# Who must ------------------------------------------------------------------------------------


def test_an_administrator_without_a_device_is_sent_to_set_one_up(client, administrator):
    sign_in(client, administrator)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2F"


@pytest.mark.parametrize("persona", ["administrator", "admin"])
def test_an_unverified_administrator_reaches_nothing_else(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 302 and dashboard["Location"].startswith(SETUP)
    admin_site = client.get("/admin/")
    assert admin_site.status_code == 302 and admin_site["Location"].startswith(SETUP)
    api = client.get("/api/v1/tenants/")
    assert api.status_code == 403
    assert api["Content-Type"] == "application/json"
    assert "Two-factor verification is required" in api.json()["detail"]
    # The way out stays open.
    assert client.post("/accounts/logout/").status_code == 302


def test_a_viewer_without_a_device_is_not_asked(client, viewer):
    sign_in(client, viewer)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/tenants/").status_code == 200


def test_the_requirement_can_be_switched_off(client, administrator, settings):
    settings.OTP_REQUIRED_FOR_ADMINISTRATORS = False
    sign_in(client, administrator)
    assert client.get("/").status_code == 200


def test_the_top_bar_links_the_two_factor_page(client, viewer):
    client.force_login(viewer)
    assert f'<a href="{MANAGE}">Two-factor authentication</a>' in client.get("/").content.decode()


# Enrolment -----------------------------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_and_the_secret(client, administrator):
    sign_in(client, administrator)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=administrator, confirmed=False)
    assert '<img class="qr" src="data:image/svg+xml;charset=utf-8,%3Csvg' in html
    assert otp.secret_text(device) in html
    assert "<script" not in html.split("</header>")[1] and " style=" not in html
    assert "no-store" in response["Cache-Control"]  # the secret stays out of caches
    # Reloading keeps the secret the app may already have scanned.
    assert otp.secret_text(device) in client.get(SETUP).content.decode()


def test_a_wrong_code_does_not_confirm(client, administrator):
    sign_in(client, administrator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=administrator)
    response = client.post(SETUP, {"code": wrong(device)})
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302


def test_the_right_code_confirms_and_shows_ten_recovery_codes_once(client, administrator):
    sign_in(client, administrator, next_url="/alerts/")
    client.get(f"{SETUP}?next=/alerts/")
    device = TOTPDevice.objects.get(user=administrator)
    response = client.post(SETUP, {"code": code(device), "next": "/alerts/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/recovery-codes/?next=%2Falerts%2F"
    page = client.get(response["Location"])
    codes = [c.token for c in StaticDevice.objects.get(user=administrator).token_set.all()]
    assert len(codes) == 10 and all(f"<code>{c}</code>" in page.content.decode() for c in codes)
    assert 'href="/alerts/"' in page.content.decode()
    # Shown once.
    assert client.get("/accounts/two-factor/recovery-codes/")["Location"] == MANAGE
    device.refresh_from_db()
    assert device.confirmed
    # This session is verified by the enrolment.
    assert client.get("/alerts/").status_code == 200
    assert client.get("/api/v1/tenants/").status_code == 200
    assert "auth.2fa_enrolled" in actions()


# Signing in with a code ----------------------------------------------------------------------


def test_a_user_with_a_device_gives_a_code_after_the_password(client, viewer, clock):
    device = enrolled(viewer)
    sign_in(client, viewer, next_url="/alerts/")
    response = client.get("/alerts/")
    assert response["Location"] == f"{VERIFY}?next=%2Falerts%2F"
    # No way around it: neither the manage page nor a fresh setup.
    assert client.get(MANAGE)["Location"].startswith(VERIFY)
    assert client.get(SETUP)["Location"] == MANAGE
    response = client.post(VERIFY, {"code": code(device), "next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert client.get("/alerts/").status_code == 200
    entry = AuditEntry.objects.get(action="auth.2fa_verified")
    assert entry.actor == "victor" and entry.details == {"method": "totp"}


def test_the_verify_page_speaks_japanese(client, viewer):
    device = enrolled(viewer)
    sign_in(client, viewer)
    html = client.post(VERIFY, {"code": wrong(device)}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "<h1>コードを入力</h1>" in html and "コードが正しくありません。" in html
    assert ">2 要素認証</a>" in html


def test_a_verified_session_gets_a_new_key(client, viewer):
    device = enrolled(viewer)
    sign_in(client, viewer)
    before = client.cookies["sessionid"].value
    client.post(VERIFY, {"code": code(device)})
    assert client.cookies["sessionid"].value != before


def test_a_wrong_code_is_refused_and_recorded(client, viewer):
    device = enrolled(viewer)
    sign_in(client, viewer)
    response = client.post(VERIFY, {"code": wrong(device)})
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert client.get("/")["Location"].startswith(VERIFY)
    assert AuditEntry.objects.get(action="auth.2fa_failed").details == {
        "during": "sign-in", "throttled": False}
    event = SecurityEvent.objects.get(kind=EventKind.LOGIN_FAILED)
    assert event.username == "victor" and event.details == {"factor": "totp"}


def test_a_code_is_accepted_once(client, viewer):
    device = enrolled(viewer)
    sign_in(client, viewer)
    used = code(device)
    client.post(VERIFY, {"code": used})
    client.post("/accounts/logout/")
    sign_in(client, viewer)
    assert client.post(VERIFY, {"code": used}).status_code == 200  # refused: replayed
    assert client.get("/")["Location"].startswith(VERIFY)


def test_a_recovery_code_works_once(client, viewer, clock):
    enrolled(viewer)
    codes = otp.new_recovery_codes(viewer)
    sign_in(client, viewer)
    response = client.post(VERIFY, {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert "auth.recovery_code_used" in actions()
    assert AuditEntry.objects.get(action="auth.recovery_code_used").details == {"left": 9}
    client.post("/accounts/logout/")
    clock.shift(60)  # past any throttle
    sign_in(client, viewer)
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 200
    assert client.get("/")["Location"].startswith(VERIFY)


def test_failures_are_throttled_with_a_clear_message(client, viewer, clock):
    device = enrolled(viewer)
    sign_in(client, viewer)
    client.post(VERIFY, {"code": wrong(device)})
    client.post(VERIFY, {"code": wrong(device)})  # within the 1 s wait: not even checked
    response = client.post(VERIFY, {"code": code(device)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Too many wrong codes. Wait 1 second, then try again." in html
    assert client.get("/")["Location"].startswith(VERIFY)
    assert AuditEntry.objects.filter(action="auth.2fa_failed",
                                     details__throttled=True).count() == 2
    # Each checked failure doubles the wait; then the right code works again.
    clock.shift(1)
    client.post(VERIFY, {"code": wrong(device)})
    assert "Wait 2 seconds" in client.post(VERIFY, {"code": code(device)}).content.decode()
    clock.shift(2)
    client.post(VERIFY, {"code": wrong(device)})
    assert "Wait 4 seconds" in client.post(VERIFY, {"code": code(device)}).content.decode()
    clock.shift(4)
    assert client.post(VERIFY, {"code": code(device)})["Location"] == "/dashboard/"


@pytest.mark.django_db(transaction=True)
def test_an_unverified_session_cannot_use_the_websocket(client, administrator):
    # The consumer refuses it like a signed-out one (it sees an anonymous user).
    enrolled(administrator)
    sign_in(client, administrator)

    async def connects() -> tuple[bool, int | None]:
        socket = WebsocketCommunicator(application, "/ws/dashboard/", headers=[
            (b"origin", b"http://localhost"),
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        ])
        connected, closed = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected, closed

    assert asyncio.run(connects()) == (False, CLOSE_FORBIDDEN)
    client.post(VERIFY, {"code": code(TOTPDevice.objects.get(user=administrator))})
    assert asyncio.run(connects())[0] is True


# Managing and removing -----------------------------------------------------------------------


def test_the_manage_page_says_whether_it_is_on(client, viewer):
    client.force_login(viewer)
    assert "Off: you sign in with your password alone." in client.get(MANAGE).content.decode()
    enrolled(viewer)
    otp.new_recovery_codes(viewer)
    client.force_login(viewer)
    html = client.get(MANAGE).content.decode()
    assert "On: after your password" in html and "<dd>10</dd>" in html
    assert 'name="code"' not in html  # a Viewer removes without a code


def test_a_viewer_removes_their_device(client, viewer):
    enrolled(viewer)
    otp.new_recovery_codes(viewer)
    client.force_login(viewer)
    response = client.post("/accounts/two-factor/remove/")
    assert response["Location"] == MANAGE
    assert not TOTPDevice.objects.filter(user=viewer).exists()
    assert not StaticDevice.objects.filter(user=viewer).exists()
    assert "auth.2fa_removed" in actions()
    assert client.get("/").status_code == 200


def test_an_administrator_removes_only_with_a_current_code(client, administrator, clock):
    client.force_login(administrator)  # verified with a device made for the test
    device = TOTPDevice.objects.get(user=administrator)
    codes = otp.new_recovery_codes(administrator)
    assert 'name="code"' in client.get(MANAGE).content.decode()
    for data in ({}, {"code": codes[0]}, {"code": wrong(device)}):  # a recovery code: no
        assert client.post("/accounts/two-factor/remove/", data)["Location"] == MANAGE
    assert TOTPDevice.objects.filter(user=administrator).exists()
    assert actions().count("auth.2fa_failed") == 3
    assert SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAILED).count() == 3
    # The wrong code counts against the device like one given at sign-in.
    response = client.post("/accounts/two-factor/remove/", {"code": code(device)}, follow=True)
    assert "Too many wrong codes. Wait 1 second" in response.content.decode()
    clock.shift(1)
    response = client.post("/accounts/two-factor/remove/", {"code": code(device)})
    assert response["Location"] == MANAGE
    assert not TOTPDevice.objects.filter(user=administrator).exists()
    assert not StaticDevice.objects.filter(user=administrator).exists()
    assert "auth.2fa_removed" in actions()
    # Still an Administrator: set it up again before anything else.
    assert client.get("/")["Location"].startswith(SETUP)


# The token endpoint asks for the same second factor -------------------------------------------

TOKEN = "/api/v1/auth/token"


def _token(client, user, **extra):
    return client.post(TOKEN, {"username": user.username, "password": PASSWORDS[user.username],
                               **extra}, content_type="application/json")


def test_a_token_for_an_enrolled_user_needs_the_apps_code(client, viewer, clock):
    device = enrolled(viewer)
    refused = _token(client, viewer)
    assert refused.status_code == 401 and "otp" in refused.json()["detail"]
    assert _token(client, viewer, otp=wrong(device)).status_code == 401
    assert "auth.2fa_failed" in actions()
    assert _token(client, viewer, otp=code(device)).status_code == 429  # throttled after a miss
    clock.shift(30)
    granted = _token(client, viewer, otp=code(device))
    assert granted.status_code == 200 and set(granted.json()) == {"access", "refresh"}


def test_an_administrator_without_a_device_gets_no_token(client, administrator):
    response = _token(client, administrator)
    assert response.status_code == 403
    assert "browser first" in response.json()["detail"]


def test_no_route_open_before_the_second_factor_is_under_the_api():
    """The middleware skips resolving API paths on that promise (security/middleware.py)."""
    paths = {name: reverse(name) for name in TWO_FACTOR_OPEN_ROUTES}
    assert paths and not [path for path in paths.values() if path.startswith(API_PREFIX)]
