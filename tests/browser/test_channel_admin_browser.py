"""The notification channel form in Chromium: choosing a kind shows that kind's fields only,
within the CSP, and a channel saved from them works."""

from __future__ import annotations

import pytest

from tests.browser.conftest import served_site
from tests.browser.test_dashboard_browser import TIMEOUT_MS
from tests.browser.test_security_browser import code, submit_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

ADMIN, ADMIN_PASSWORD = "channel-admin", "channel-admin-pw-123456"
KEY = bytes(range(20))  # the Administrator's authenticator app
ADD = "/admin/monitoring/notificationchannel/add/"

_SEED = f"""
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from security import roles
admin = User.objects.create_user({ADMIN!r}, password={ADMIN_PASSWORD!r})
roles.assign(admin, roles.ADMINISTRATOR)
TOTPDevice.objects.create(user=admin, name="Authenticator app", key={KEY.hex()!r}, confirmed=True)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "channel-site", _SEED) as site:
        yield site


def _shown(page) -> set[str]:
    return {name for name in ("emails", "url", "timeout", "secret")
            if page.locator(f".form-row.field-{name}").is_visible()}


def test_choosing_a_kind_shows_its_fields_only(watched, site):
    page = watched.page
    submit_sign_in(page, site.url + "/dashboard/", ADMIN, ADMIN_PASSWORD)
    page.wait_for_url("**/accounts/two-factor/verify/**", timeout=TIMEOUT_MS)
    page.fill("#id_code", code(KEY))
    page.click("form[action$='/two-factor/verify/'] button[type=submit]")
    page.wait_for_url(site.url + "/dashboard/", timeout=TIMEOUT_MS)
    page.goto(site.url + ADD)

    assert _shown(page) == {"emails", "url", "timeout", "secret"}  # no kind chosen yet
    page.select_option("#id_kind", "email")
    assert _shown(page) == {"emails"}
    page.select_option("#id_kind", "webhook")
    assert _shown(page) == {"url", "timeout", "secret"}
    page.select_option("#id_kind", "teams")
    assert _shown(page) == {"url", "timeout"}

    page.fill("#id_name", "Ops mail")
    page.select_option("#id_kind", "email")
    page.fill("#id_emails", "ops@example.com\nnot-an-address")
    page.click("input[name=_save]")
    assert "not-an-address is not an email address." in page.locator(".errorlist").inner_text()
    assert _shown(page) == {"emails"}  # the form comes back with the kind's fields
    page.fill("#id_emails", "ops@example.com\nsecurity@example.com")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/monitoring/notificationchannel/", timeout=TIMEOUT_MS)
    assert watched.csp_violations() == []
