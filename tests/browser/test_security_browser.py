"""The security pages in Chromium: the overview's chart and tables, two-factor enrolment and
sign-in, and the lockout page; all within the CSP."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import TOTP

from tests.browser.conftest import DESKTOP, Watched, served_site
from tests.browser.test_dashboard_browser import PHONE, TIMEOUT_MS, screenshot, wait_until
from tests.live import PASSWORD, USERNAME

pytestmark = pytest.mark.browser

ATTACKER = "198.51.100.7"
DENIED = "203.0.113.0/24"
ADMIN, ADMIN_PASSWORD = "live-admin", "live-admin-pw-123456"

# The live user becomes a Viewer; an Administrator (who must enrol a second factor) joins it.
# Five attacks from one address over the last hours, so the chart has bars in three hours.
_SEED = f"""
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from security import roles
from security.choices import EVENT_SEVERITY, EventKind, IPRuleAction
from security.models import IPRule, SecurityEvent
roles.assign(User.objects.get(username={USERNAME!r}), roles.VIEWER)
roles.assign(User.objects.create_user({ADMIN!r}, password={ADMIN_PASSWORD!r}), roles.ADMINISTRATOR)
now = timezone.now()
SecurityEvent.objects.bulk_create(
    SecurityEvent(kind=kind, severity=EVENT_SEVERITY[kind], ip_address={ATTACKER!r},
                  created=now - timedelta(hours=hours, minutes=5), method="GET",
                  path="/tenants/", location="query:q")
    for kind, hours in [(EventKind.SQL_INJECTION, 1), (EventKind.SQL_INJECTION, 2),
                        (EventKind.SQL_INJECTION, 2), (EventKind.XSS, 1), (EventKind.XSS, 3)]
)
IPRule.objects.create(network={DENIED!r}, action=IPRuleAction.DENY, reason="Scanner")
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "security-site", _SEED) as site:
        yield site


def submit_sign_in(page, url: str, username: str, password: str) -> None:
    """Opens `url` (the sign-in page, or a page that sends there) and submits the form."""
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form[action$='/accounts/login/'] button[type=submit]")


def code(key: bytes, *, at: float | None = None) -> str:
    """What an authenticator app shows for `key` at time `at` (now by default)."""
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def card(page, heading: str):
    return page.locator("section.card", has=page.locator("h2", has_text=heading))


def test_a_viewer_sees_the_chart_the_offending_addresses_and_the_denied_networks(watched, site):
    page = watched.page
    submit_sign_in(page, site.url + "/security/", USERNAME, PASSWORD)
    page.wait_for_url(site.url + "/security/")
    page.wait_for_selector("#security-chart .main-svg", state="attached", timeout=TIMEOUT_MS)
    wait_until(page, "document.querySelectorAll('#security-chart .barlayer .point').length > 0")
    # One stacked trace per kind, holding what was seeded (other tests here may add sign-in
    # failures from 127.0.0.1, so only these two kinds are pinned).
    totals = dict(page.evaluate("document.getElementById('security-chart').data"
                                ".map(trace => [trace.name, trace.y.reduce((a, b) => a + b, 0)])"))
    assert totals["SQL injection attempt"] == 3
    assert totals["Cross-site scripting attempt"] == 2
    assert page.locator("#security-chart .barlayer .trace").count() == len(totals)
    # Counts are whole: no tick between two of them (printed as "0 1 1 2 2").
    ticks = page.locator("#security-chart .ytick text").all_text_contents()
    assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), ticks

    attacker = card(page, "Top offending IP addresses").locator("tr", has_text=ATTACKER)
    assert attacker.locator("td").all_inner_texts() == [ATTACKER, "5", "2"]
    denied = card(page, "Denied networks").locator("tbody tr")
    assert denied.count() == 1
    assert denied.locator("td").all_inner_texts() == [DENIED, "Scanner", "never"]
    assert page.locator("#security-chart").is_visible()
    screenshot(page, "security-page.png")

    # On a phone nothing pushes the page sideways, and the chart shrinks to fit.
    page.set_viewport_size(PHONE)
    wait_until(page, "document.querySelector('#security-chart .main-svg')"
                     f".getBoundingClientRect().width < {PHONE['width']}")
    wait_until(page, "document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "security-page-phone.png")

    assert watched.csp_violations() == []
    assert watched.problems == []


def test_an_administrator_enrols_a_second_factor_and_signs_in_with_it(watched, site):
    page = watched.page
    violations: list[str] = []

    def settled(url_pattern: str) -> None:
        # The CSP record lives in each document, so it is read on every page of the flow.
        page.wait_for_url(url_pattern, timeout=TIMEOUT_MS)
        violations.extend(watched.csp_violations())

    def sign_out() -> None:
        page.click("form.logout button[type=submit]")
        settled("**/accounts/login/")

    # Enrolment is the first thing an Administrator sees, with where they were going kept.
    submit_sign_in(page, site.url + "/dashboard/", ADMIN, ADMIN_PASSWORD)
    settled("**/accounts/two-factor/setup/?next=%2Fdashboard%2F")
    qr = page.locator("img.qr")
    assert qr.is_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    wait_until(page, "document.querySelector('img.qr').complete"
                     " && document.querySelector('img.qr').naturalWidth > 0")
    key = base64.b32decode(page.inner_text("code.secret").replace(" ", ""))
    # The key shown is the one the site will check codes against.
    assert site.query(
        "SELECT d.key FROM otp_totp_totpdevice d JOIN auth_user u ON u.id = d.user_id"
        f" WHERE u.username = '{ADMIN}'"
    ) == [(key.hex(),)]

    page.fill("#id_code", code(key))
    page.click("form[action$='/two-factor/setup/'] button[type=submit]")
    settled("**/accounts/two-factor/recovery-codes/?next=%2Fdashboard%2F")
    recovery = page.locator(".recovery-codes code").all_inner_texts()
    assert len(recovery) == 10 and len(set(recovery)) == 10
    page.click("a.button", timeout=TIMEOUT_MS)
    settled(site.url + "/dashboard/")
    page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)

    # Next time the password leads to the code; the app's next code gets in (the one used to
    # enrol is refused a second time, and the device accepts one step ahead).
    sign_out()
    submit_sign_in(page, site.url + "/dashboard/", ADMIN, ADMIN_PASSWORD)
    settled("**/accounts/two-factor/verify/?next=%2Fdashboard%2F")
    page.fill("#id_code", code(key, at=time.time() + 30))
    page.click("form[action$='/two-factor/verify/'] button[type=submit]")
    settled(site.url + "/dashboard/")
    assert page.locator(".messages").count() == 0

    # A wrong code is refused with a reason; a recovery code (another device, so not slowed
    # down by that failure) gets in, and says how many are left.
    sign_out()
    submit_sign_in(page, site.url + "/dashboard/", ADMIN, ADMIN_PASSWORD)
    settled("**/accounts/two-factor/verify/?next=%2Fdashboard%2F")
    valid_now = {code(key, at=time.time() + 30 * step) for step in range(-2, 3)}
    page.fill("#id_code", next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in valid_now))
    page.click("form[action$='/two-factor/verify/'] button[type=submit]")
    page.wait_for_selector("p.error", timeout=TIMEOUT_MS)
    assert page.inner_text("p.error").startswith("That code is not valid.")
    assert "/accounts/two-factor/verify/" in page.url
    violations.extend(watched.csp_violations())
    page.fill("#id_code", recovery[0])
    page.click("form[action$='/two-factor/verify/'] button[type=submit]")
    settled(site.url + "/dashboard/")
    assert page.inner_text(".messages li") == (
        "You signed in with a recovery code; 9 codes are left.")
    screenshot(page, "two-factor-recovery-sign-in.png")

    assert violations == []
    assert watched.problems == []


def test_the_fifth_wrong_password_locks_the_sign_in(watched, site):
    page = watched.page
    try:
        page.goto(site.url + "/accounts/login/")
        for attempt in range(1, 6):
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", f"wrong-password-{attempt}")
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                page.click("form[action$='/accounts/login/'] button[type=submit]")
            page.wait_for_load_state()
            if attempt < 5:
                assert answer.value.status == 200
                assert page.inner_text("p.error").startswith("Your user name and password")
        assert answer.value.status == 429
        assert answer.value.headers["retry-after"] == "1800"
        assert page.inner_text("h1") == "Sign-in locked"
        assert "after 5 failed attempts" in page.inner_text("main")
        # Drawn by the site's stylesheet, which the CSP let through.
        assert page.evaluate("[...document.styleSheets].some(sheet => sheet.href"
                             " && new URL(sheet.href).pathname.startsWith('/static/css/app.')"
                             " && sheet.cssRules.length > 0)")
        assert page.evaluate("getComputedStyle(document.querySelector('section.card'))"
                             ".borderTopStyle") != "none"
        screenshot(page, "sign-in-locked.png")
        assert watched.csp_violations() == []
        # The only complaint is the browser logging the 429 itself.
        assert watched.problems and all("429" in problem for problem in watched.problems)
    finally:
        site.manage("axes_reset_username", USERNAME)


_THREATS = """
import uuid
from datetime import timedelta
from django.utils import timezone
from m365admin.models import Tenant
from security.choices import EventKind
from security.models import SecurityEvent
tenant = Tenant(name="Contoso", tenant_id=str(uuid.uuid4()), client_id=str(uuid.uuid4()))
tenant.set_client_secret("not-a-secret")
tenant.save()
now = timezone.now()
for days, kind, user, country in [(1, EventKind.BRUTE_FORCE, "kim@contoso.com", "RU"),
                                  (2, EventKind.IMPOSSIBLE_TRAVEL, "lee@contoso.com", "US"),
                                  (2, EventKind.NEW_COUNTRY, "lee@contoso.com", "US")]:
    start = now - timedelta(days=days)
    SecurityEvent.objects.create(kind=kind, severity="error", tenant=tenant, users=[user],
                                 username=user, countries=[country], window_start=start,
                                 window_end=start + timedelta(minutes=5),
                                 evidence=["gone-" + str(uuid.uuid4())],
                                 dedup_key=f"browser:{kind}:{user}")
"""


@pytest.fixture(scope="module")
def threats(site):
    site.manage("shell", "-c", _THREATS)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_threats_page_charts_detections_and_leads_to_an_event(browser, site, threats,
                                                                   viewport):
    context = browser.new_context(viewport=viewport)
    watched = Watched(context)
    try:
        page = watched.page
        submit_sign_in(page, site.url + "/threats/", USERNAME, PASSWORD)
        page.wait_for_url(site.url + "/threats/")
        wait_until(page, "document.querySelectorAll('#threats-chart .barlayer .point').length > 0")
        totals = dict(page.evaluate("document.getElementById('threats-chart').data"
                                    ".map(trace => [trace.name, trace.y.reduce((a, b) => a + b, 0)])"))
        assert totals == {"Brute force against an account": 1, "Impossible travel": 1,
                          "Sign-in from a new country": 1}
        ticks = page.locator("#threats-chart .ytick text").all_text_contents()
        assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), ticks  # whole counts only
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator("a", has_text="Brute force against an account").first.click()
        page.wait_for_url("**/threats/events/*/")
        assert "kim@contoso.com" in page.inner_text("main")
        assert "None of this event's sign-ins is stored." in page.inner_text("main")
        screenshot(page, f"threat-event-{viewport['width']}.png")
        assert watched.csp_violations() == [] and watched.problems == []
    finally:
        context.close()
