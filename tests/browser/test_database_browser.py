"""The database console in Chromium: an Administrator reads it (what to fix first, charts
drawn, within the CSP), measures a table's bloat, opens a statement's history chart, and
analyzes the table from the confirmation to the worker's result; on a phone the page itself
never scrolls sideways."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, served_site
from tests.browser.test_dashboard_browser import PHONE, TIMEOUT_MS, screenshot, wait_until
from tests.browser.test_security_browser import code, submit_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

ADMIN, ADMIN_PASSWORD = "db-admin", "db-admin-pw-123456"
KEY = bytes(range(20))  # the Administrator's authenticator app
TABLE = "public.auth_user"

# An Administrator with an enrolled authenticator, and one size snapshot so the growth chart
# has a point (the scheduler would take it within the hour).
_SEED = f"""
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from monitoring.dbconsole import snapshots
from security import roles
admin = User.objects.create_user({ADMIN!r}, password={ADMIN_PASSWORD!r})
roles.assign(admin, roles.ADMINISTRATOR)
TOTPDevice.objects.create(user=admin, name="Authenticator app", key={KEY.hex()!r}, confirmed=True)
snapshots.take()
# A second query snapshot, as the scheduler takes every 5 minutes: each statement's history
# chart has its first interval.
from datetime import timedelta
from django.utils import timezone
snapshots.take_queries(timezone.now() + timedelta(seconds=1))
"""

SECTIONS = ["What to fix", "Top queries", "Tables", "Sequential scans", "Suggested indexes",
            "Indexes", "Cache hit rate", "Sequences", "Settings", "Replication", "Connections",
            "Long-running queries", "Blocked queries", "Connection pool", "Partitions",
            "Recent actions"]
CHARTS = ["sizes", "queries", "connections"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    # `serve` runs the scheduler, which enqueues queued actions every 2 s, and a worker thread.
    with served_site(tmp_path_factory, collected_static, "database-site", _SEED,
                     MONITORING_INTERVAL="2") as site:
        yield site


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_administrator_reads_the_console_and_analyzes_a_table(watched, site):
    page = watched.page
    violations: list[str] = []

    def settled(url_pattern: str) -> None:
        # The CSP record lives in each document, so it is read on every page of the flow.
        page.wait_for_url(url_pattern, timeout=TIMEOUT_MS)
        page.wait_for_load_state()
        violations.extend(watched.csp_violations())

    # Password, then the authenticator's code (Administrators owe a second factor).
    submit_sign_in(page, site.url + "/database/", ADMIN, ADMIN_PASSWORD)
    settled("**/accounts/two-factor/verify/?next=%2Fdatabase%2F")
    page.fill("#id_code", code(KEY))
    page.click("form[action$='/two-factor/verify/'] button[type=submit]")
    settled(site.url + "/database/")

    # The console: every section, the three charts drawn, no query-statistics problem.
    assert page.locator("nav a[href='/database/']").inner_text() == "Database"
    headings = page.locator("main h2, main h3").all_inner_texts()
    assert [section for section in SECTIONS if section not in headings] == []
    assert page.locator(".db-problem").count() == 0
    for chart in CHARTS:
        page.wait_for_selector(f"#db-chart-{chart} .main-svg", state="attached",
                               timeout=TIMEOUT_MS)
    assert page.locator("#queries tbody tr").count() > 0
    assert page.locator("#queries a", has_text="Plan").first.get_attribute("href").endswith(
        "/explain")
    # What to fix comes first: Django's own schema has indexes its unique ones cover.
    findings = page.locator("#fix li.db-finding")
    assert findings.count() > 0
    assert page.locator("#fix li.db-finding", has_text="is covered by").count() > 0
    assert findings.first.locator(".db-severity").inner_text() in ("Critical", "Warning",
                                                                  "Advice")

    # Bloat, measured on demand into its own cell.
    row = page.locator(f"#tables tr[data-table='{TABLE}']")
    row.locator("button.db-measure").click()
    wait_until(page, "[...document.querySelectorAll('#tables output.db-bloat-result')]"
                     ".some(cell => /% dead/.test(cell.textContent))")
    assert re.fullmatch(r"[\d.]+ % dead, [\d.]+ % free", row.locator("output").inner_text())
    screenshot(page, "database-console.png")

    # On a phone the wide tables scroll inside their boxes; the page does not.
    page.set_viewport_size(PHONE)
    wait_until(page, "document.querySelector('#db-chart-sizes .main-svg')"
                     f".getBoundingClientRect().width < {PHONE['width']}")
    wait_until(page, "document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "database-console-phone.png")
    page.set_viewport_size(DESKTOP)

    # The busiest statement with a history (two snapshots: the seed's) charts its calls and
    # mean time per 5 minutes on its plan page. (Not simply the busiest: the scheduler's and
    # the worker's own statements since the seed may have overtaken it.)
    with_history = {str(queryid) for (queryid,) in site.query(
        "SELECT queryid FROM monitoring_querystatssnapshot GROUP BY queryid "
        "HAVING count(*) >= 2")}
    queryids = page.evaluate("fetch('/api/v1/database/queries?limit=100').then(r => r.json())"
                             ".then(body => body.queries.map(query => String(query.queryid)))")
    queryid = next(queryid for queryid in queryids if queryid in with_history)
    page.goto(f"{site.url}/database/queries/{queryid}/explain")
    settled(f"**/database/queries/{queryid}/explain")
    for chart in ("calls", "mean"):
        page.wait_for_selector(f"#db-chart-{chart} .main-svg", state="attached",
                               timeout=TIMEOUT_MS)
    screenshot(page, "database-query-history.png")
    page.goto(site.url + "/database/")
    settled(site.url + "/database/")
    row = page.locator(f"#tables tr[data-table='{TABLE}']")

    # Analyze: the confirmation shows the exact SQL, and Run queues exactly that.
    row.locator("a", has_text="Analyze").click()
    settled("**/database/actions/confirm?kind=analyze&target=public.auth_user")
    assert page.inner_text("h1") == "Analyze a table"
    assert page.locator("pre.db-sql").all_inner_texts() == [f"ANALYZE {TABLE}"]
    assert page.locator("form.db-confirm input[name=statement]").evaluate_all(
        "inputs => inputs.map(input => input.value)") == [f"ANALYZE {TABLE}"]
    page.click("form.db-confirm button[type=submit]")
    settled("**/database/actions/*/")
    assert page.inner_text(".messages li").startswith("Action #")

    # The worker runs it; the page follows by itself and stops once it has finished.
    wait_until(page, "document.getElementById('action-state').textContent === 'Succeeded'",
               timeout=20)
    wait_until(page, "document.getElementById('action-live').dataset.state === 'finished'")
    assert page.inner_text("#action-live-text") == "Finished"
    assert page.inner_text("#action-result") == f"ANALYZE {TABLE} → ANALYZE"
    assert page.locator("#action-cancel").is_hidden()
    assert page.evaluate("document.getElementById('action-bar').value") == 100
    screenshot(page, "database-action.png")
    page.set_viewport_size(PHONE)
    wait_until(page, "document.documentElement.scrollWidth <= window.innerWidth")

    # The console lists it among the recent actions.
    page.goto(site.url + "/database/")
    settled(site.url + "/database/")
    latest = page.locator("#actions tbody tr").first
    assert latest.locator("td").nth(1).inner_text() == "Analyze a table"
    assert latest.locator(".db-state").inner_text() == "Succeeded"
    assert no_sideways_scroll(page)

    assert violations == []
    assert watched.problems == []
