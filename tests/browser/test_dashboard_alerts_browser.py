"""The dashboard's alerts panel in Chromium: counts, the open list, Acknowledge and a 409."""

from __future__ import annotations

import pytest

from tests.browser.conftest import served_site
from tests.browser.test_dashboard_browser import TIMEOUT_MS, screenshot, sign_in, wait_until
from tests.live import USERNAME

pytestmark = pytest.mark.browser

# The seeded rules disabled, so nothing the host does adds alerts. The two rules here stay
# enabled (the evaluator resolves a disabled rule's alerts) with a threshold no CPU reaches;
# it never touches their alerts, whose fingerprints match no observation.
_SEED = f"""
from django.contrib.auth.models import Permission, User
from monitoring.models import Alert, AlertRule
User.objects.get(username={USERNAME!r}).user_permissions.add(
    Permission.objects.get(content_type__app_label="monitoring", codename="change_alert"))
AlertRule.objects.update(enabled=False)
for code, severity, summary, name in [("a", "critical", "Database down", "Test"),
                                      ("b", "warning", "CPU high", "Test CPU")]:
    rule = AlertRule.objects.create(name=name, source="metric", metric="cpu", comparison="gt",
                                    threshold=1000, severity=severity)
    Alert.objects.create(rule=rule, fingerprint=code, severity=severity, summary=summary,
                         status="firing", code="00000000-0000-0000-0000-00000000000" + code)
"""
DOWN = "00000000-0000-0000-0000-00000000000a"
CPU = "00000000-0000-0000-0000-00000000000b"


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "alerts-site", _SEED,
                     MONITORING_INTERVAL="1") as site:
        yield site


def test_an_operator_sees_the_open_alerts_and_acknowledges_one(watched, site):
    page = watched.page
    sign_in(page, site.url)
    page.wait_for_selector(f"[data-code='{DOWN}']", timeout=TIMEOUT_MS)
    wait_until(page, "document.querySelector('.alert-count[data-severity=critical]')"
                     ".textContent === '1 critical'")
    assert page.inner_text(".alert-count[data-severity='warning']") == "1 warning"
    assert page.locator("#alert-list .alert-item").count() == 2
    assert page.locator("#alerts-empty").is_hidden()

    row = page.locator(f"[data-code='{DOWN}']")
    assert row.locator("[data-field='summary']").inner_text() == "Database down"
    row.locator("button[data-action='acknowledge']").click()
    page.wait_for_selector(f"[data-code='{DOWN}'] [data-field='acknowledged']:not([hidden])",
                           timeout=TIMEOUT_MS)
    assert page.locator(f"[data-code='{DOWN}'] button[data-action='acknowledge']").is_hidden()
    screenshot(page, "dashboard-alerts.png")

    # Someone else acknowledges the other one first: this page's button is told so. (Acknowledged
    # alerts stay open, so no tick reloads the list, and the button is still there to click.)
    site.manage("shell", "-c", (
        "from monitoring.models import Alert\n"
        f"Alert.objects.get(code={CPU!r}).acknowledge(None, 'elsewhere')\n"
    ))
    page.locator(f"[data-code='{CPU}'] button[data-action='acknowledge']").click()
    page.wait_for_selector("#alerts-error:not([hidden])", timeout=TIMEOUT_MS)
    assert page.inner_text("#alerts-error") == "This alert is already acknowledged."
    page.wait_for_selector(f"[data-code='{CPU}'] [data-field='acknowledged']:not([hidden])",
                           timeout=TIMEOUT_MS)

    page.locator(f"[data-code='{CPU}'] button[data-action='resolve']").click()
    wait_until(page, f"!document.querySelector(\"[data-code='{CPU}']\")")
    page.locator(f"[data-code='{DOWN}'] button[data-action='resolve']").click()
    page.wait_for_selector("#alerts-empty:not([hidden])", timeout=TIMEOUT_MS)
    assert page.inner_text("#alerts-empty") == "No open alerts"
    assert watched.csp_violations() == []
    # The only complaint is the browser logging the 409, which is how the page learnt.
    assert all("409" in problem for problem in watched.problems), watched.problems


def test_an_alert_links_to_its_page_where_an_operator_resolves_it_with_a_note(watched, site):
    disk = "00000000-0000-0000-0000-00000000000c"
    site.manage("shell", "-c", (
        "from monitoring.models import Alert, AlertRule\n"
        "Alert.objects.create(rule=AlertRule.objects.get(name='Test'), fingerprint='c',\n"
        "    severity='error', summary='Disk full', status='firing', code=" f"{disk!r})\n"
    ))
    page = watched.page
    sign_in(page, site.url)
    page.wait_for_selector(f"[data-code='{disk}']", timeout=TIMEOUT_MS)
    page.locator(f"[data-code='{disk}'] a[data-field='summary']").click()
    page.wait_for_url(f"**/alerts/{disk}/", timeout=TIMEOUT_MS)
    assert page.inner_text("h1").endswith("Disk full")
    page.fill("textarea[name='note']", "Cleared old logs")
    page.locator("button", has_text="Resolve").click()
    page.wait_for_selector(".messages li", timeout=TIMEOUT_MS)
    assert page.inner_text(".messages li") == "Alert resolved."
    assert "Cleared old logs" in page.inner_text("main")
    assert page.locator("textarea[name='note']").count() == 0  # nothing left to do
    screenshot(page, "alert-page.png")
    assert watched.csp_violations() == [] and watched.problems == []
