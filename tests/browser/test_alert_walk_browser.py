"""An on-call walk in Chromium, at desktop and phone widths: the dashboard panel (the worst
first, one rule's alerts grouped; the worst silenced from the panel, with a reason, its badge
and the silenced count) → an alert's page → silence it for an hour → the badge → expire the
silence → acknowledge → resolve with a note."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, served_site
from tests.browser.test_dashboard_browser import (
    PHONE,
    TIMEOUT_MS,
    screenshot,
    sign_in,
    wait_until,
)
from tests.live import USERNAME

pytestmark = pytest.mark.browser

# The seeded rules are disabled but one, so nothing the host does adds alerts. The rules the
# alerts here belong to stay enabled (the evaluator resolves a disabled rule's alerts): "Sign-in
# from a new country" sees no finding on this site, and no disk reaches the other's threshold.
_SEED = f"""
from django.contrib.auth.models import Permission, User
from monitoring.models import AlertRule
User.objects.get(username={USERNAME!r}).user_permissions.add(
    Permission.objects.get(content_type__app_label="monitoring", codename="change_alert"))
AlertRule.objects.exclude(name="Sign-in from a new country").update(enabled=False)
AlertRule.objects.create(name="Disk almost full", source="metric", metric="disk",
                         comparison="gt", threshold=1000, severity="critical")
"""


def _alerts(site, tag: str) -> tuple[str, str]:
    """Three new-country incidents and one critical disk alert; returns one incident's code
    and the disk alert's (`tag`: two hex digits)."""
    code = f"00000000-0000-0000-0000-0000000000{tag}"
    disk = f"00000000-0000-0000-0000-0000000001{tag}"
    site.manage("shell", "-c", f"""
from monitoring.models import Alert, AlertRule, Silence
Alert.objects.all().delete()  # what an earlier walk left
Silence.objects.all().delete()
country = AlertRule.objects.get(name="Sign-in from a new country")
for i in range(3):
    Alert.objects.create(rule=country, fingerprint="{tag}" + str(i), severity="info",
                         status="firing", labels={{"user": "kim{tag}" + str(i)}},
                         summary="Sign-in from a new country (user=kim{tag}" + str(i) + ")",
                         **({{"code": "{code}"}} if i == 0 else {{}}))
Alert.objects.create(rule=AlertRule.objects.get(name="Disk almost full"), severity="critical",
                     fingerprint="disk{tag}", status="firing", summary="Disk almost full {tag}",
                     code="{disk}")
""")
    return code, disk


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "alert-walk", _SEED,
                     MONITORING_INTERVAL="1") as site:
        yield site


@pytest.mark.parametrize("viewport, tag", [(DESKTOP, "d1"), (PHONE, "e1")],
                         ids=["desktop", "phone"])
def test_panel_to_alert_to_silence_to_acknowledge_to_resolve(watched, site, viewport, tag):
    code, disk = _alerts(site, tag)
    page = watched.page
    page.set_viewport_size(viewport)
    sign_in(page, site.url)

    # The panel: the critical alert first, then the three incidents as one expandable line.
    page.wait_for_selector("#alert-list .alert-group", timeout=TIMEOUT_MS)
    first = page.locator("#alert-list > li").first
    assert first.get_attribute("data-severity") == "critical"
    group = page.locator("#alert-list .alert-group")
    assert group.locator("[data-field='title']").inner_text().startswith("3 × Sign-in from")
    assert page.locator(f"[data-code='{code}']").is_hidden()
    group.locator(":scope > details > summary").click()
    row = page.locator(f"[data-code='{code}']")
    row.wait_for(state="visible", timeout=TIMEOUT_MS)
    screenshot(page, f"alert-walk-panel-{tag}.png")

    # Silence the disk alert from the panel: not without a reason; then for an hour. It stays
    # listed, with its badge, and the panel counts it.
    worst = page.locator(f"[data-code='{disk}']")
    worst.locator(".alert-silence summary").click()
    assert worst.locator("[data-field='silence-until']").get_attribute("href") == (
        f"/alerts/{disk}/?duration=until#silence")
    worst.locator("button[value='1h']").click()  # the browser asks for the reason first
    assert worst.locator("input[name='reason']").evaluate("input => !input.validity.valid")
    worst.locator("input[name='reason']").fill(f"Disk ({tag}) is being replaced")
    worst.locator("button[value='1h']").click()
    badge = page.locator(f"[data-code='{disk}'] [data-field='silenced']")
    badge.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert badge.inner_text().startswith("silenced until ")
    wait_until(page, "document.getElementById('alerts-silenced').textContent === '1 silenced'")
    assert page.locator("#alert-list > li").first.get_attribute("data-code") == disk
    screenshot(page, f"alert-walk-panel-silenced-{tag}.png")

    # Its page: silence it for an hour (the labels prefilled), with a reason.
    row.locator("a[data-field='summary']").click()
    page.wait_for_url(f"**/alerts/{code}/", timeout=TIMEOUT_MS)
    assert page.input_value("input[name='label_user']") == f"kim{tag}0"
    page.check("input[name='duration'][value='1h']")
    page.fill("textarea[name='reason']", f"Kim ({tag}) is travelling this week")
    page.locator("#silence button[type='submit']").click()
    page.wait_for_selector("#silenced-until", timeout=TIMEOUT_MS)
    assert page.inner_text("#silenced-until").startswith("silenced until ")
    assert page.inner_text(".messages li").startswith("Silenced until ")
    screenshot(page, f"alert-walk-silenced-{tag}.png")

    # The silences page: expire it; the alert is heard again.
    page.locator("a", has_text="Silences").first.click()
    page.wait_for_url("**/alerts/silences/", timeout=TIMEOUT_MS)
    silence = page.locator("tr", has_text=f"Kim ({tag}) is travelling this week")
    assert silence.get_attribute("data-state") == "ending"
    silence.locator("button", has_text="Expire now").click()
    page.wait_for_selector(".messages li", timeout=TIMEOUT_MS)
    assert page.inner_text(".messages li") == "The silence has ended; its alerts are heard again."

    # Acknowledge, then resolve with a note.
    page.goto(f"{site.url}/alerts/{code}/")
    assert page.locator("#silenced-until").count() == 0
    page.fill("textarea[name='note']", "Asked Kim")
    page.locator(".alert-move button", has_text="Acknowledge").click()
    page.wait_for_selector(".messages li", timeout=TIMEOUT_MS)
    assert page.inner_text(".messages li") == "Alert acknowledged."
    page.fill("textarea[name='note']", "Kim confirmed the trip")
    page.locator(".alert-move button", has_text="Resolve").click()
    page.wait_for_selector(".messages li", timeout=TIMEOUT_MS)
    assert page.inner_text(".messages li") == "Alert resolved."
    assert "Kim confirmed the trip" in page.inner_text("main")
    wait_until(page, f"document.documentElement.scrollWidth <= {viewport['width']}")
    screenshot(page, f"alert-walk-resolved-{tag}.png")
    assert watched.csp_violations() == [] and watched.problems == []
