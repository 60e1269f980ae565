"""Onboarding a tenant in Chromium against the Graph simulator: an Administrator follows the
guided form, tests the connection of an app missing one permission (exactly that collector
reports it, with a live indicator while the test runs), saves, and syncs now with progress on
the page; at 390 px neither page scrolls sideways."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from collectors.simulator import Fault, GraphSimulator, SimTenant
from tests.browser.conftest import DESKTOP, served_site
from tests.browser.test_dashboard_browser import PHONE, TIMEOUT_MS, screenshot
from tests.browser.test_database_browser import no_sideways_scroll
from tests.browser.test_security_browser import code, submit_sign_in

pytestmark = pytest.mark.browser

ADMIN, ADMIN_PASSWORD = "onboarding-admin", "onboarding-admin-pw-123456"
KEY = bytes(range(20))
MISSING = "ServiceHealth.Read.All"  # only the service-health collector needs it

_SEED = f"""
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from security import roles
admin = User.objects.create_user({ADMIN!r}, password={ADMIN_PASSWORD!r})
roles.assign(admin, roles.ADMINISTRATOR)
TOTPDevice.objects.create(user=admin, name="Authenticator app", key={KEY.hex()!r}, confirmed=True)
"""


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    simulator = GraphSimulator(state_dir=tmp_path_factory.mktemp("onboarding-sim")).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def app(sim):
    app = sim.add_tenant(SimTenant(str(uuid.uuid4()), str(uuid.uuid4()),
                                   "s3cret-" + uuid.uuid4().hex, users=20, signins=100, days=2,
                                   domain="fabrikam.onmicrosoft.com"))
    app.permissions.discard(MISSING)
    return app


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static, sim):
    # The served site trusts the simulator's certificate as an installation would its CA's.
    with served_site(tmp_path_factory, collected_static, "onboarding-site", _SEED,
                     MONITORING_INTERVAL="2", GRAPH_CA_BUNDLE=sim.ca_bundle) as site:
        yield site


def _sign_in(page, site) -> None:
    submit_sign_in(page, site.url + "/", ADMIN, ADMIN_PASSWORD)
    page.wait_for_url("**/accounts/two-factor/verify/**", timeout=TIMEOUT_MS)
    page.fill("#id_code", code(KEY))
    page.click("form[action$='/two-factor/verify/'] button[type=submit]")
    page.wait_for_url(site.url + "/", timeout=TIMEOUT_MS)


def test_an_administrator_onboards_a_tenant_missing_a_permission(watched, site, sim, app):
    page = watched.page
    violations: list[str] = []
    _sign_in(page, site)

    page.click("main a:has-text('Add tenant')")
    page.wait_for_url(site.url + "/tenants/add/", timeout=TIMEOUT_MS)
    violations += watched.csp_violations()
    checklist = page.locator("table.permissions tbody tr td:first-child").all_inner_texts()
    assert MISSING in checklist and "AuditLog.Read.All" in checklist

    page.fill("#id_name", "Fabrikam")
    page.fill("#id_tenant_id", "fabrikam.onmicrosoft.com")
    page.fill("#id_client_id", app.client_id)
    consent = page.locator("#consent-link")
    assert consent.get_attribute("href") == (
        "https://login.microsoftonline.com/fabrikam.onmicrosoft.com/adminconsent"
        f"?client_id={app.client_id}")
    page.fill("#id_client_secret", app.client_secret)
    page.fill("#id_secret_expires", (date.today() + timedelta(days=300)).isoformat())
    page.fill("#id_authority_url", sim.base_url)
    page.fill("#id_graph_url", sim.base_url)

    # A slow token endpoint, so the live indicator can be seen while the test runs.
    sim.faults.add(Fault("delay", path="oauth2/v2.0/token", seconds=2))
    page.click("#test-connection")
    page.wait_for_selector("#connection-testing:not([hidden])", timeout=TIMEOUT_MS)
    assert page.locator("#test-connection").is_disabled()
    page.wait_for_selector("table.connection-results", timeout=TIMEOUT_MS)
    assert page.locator("#connection-testing").is_hidden()
    states = dict(zip(
        page.locator("table.connection-results tr[data-collector]").evaluate_all(
            "rows => rows.map(row => row.dataset.collector)"),
        page.locator("table.connection-results tr[data-collector]").evaluate_all(
            "rows => rows.map(row => row.dataset.state)"),
    ))
    assert {name for name, state in states.items() if state != "works"} == {"service_health"}
    assert states["service_health"] == "needs_permission"
    refused = page.locator("tr[data-collector='service_health'] td.outcome").inner_text()
    assert f"Needs permission {MISSING}" in refused
    # Only the report was replaced: the typed secret is still there to save.
    assert page.input_value("#id_client_secret") == app.client_secret
    screenshot(page, "tenant-onboarding-en.png")

    page.click("button[value=save]")
    page.wait_for_url(re.compile(rf"{re.escape(site.url)}/#tenant-\d+"), timeout=TIMEOUT_MS)
    violations += watched.csp_violations()
    card = page.locator("section.tenant", has=page.locator("h2", has_text="Fabrikam"))
    assert "Fabrikam" in page.locator(".messages").inner_text()
    card.locator("form.sync-now button").click()
    card.locator(".sync-progress").wait_for(state="visible", timeout=TIMEOUT_MS)
    card.locator(".sync-done").wait_for(state="visible", timeout=90_000)
    assert card.locator("progress").evaluate("bar => bar.value === bar.max")
    runs = card.locator(".sync-collectors li").all_inner_texts()
    assert len(runs) == 9
    assert [run for run in runs if "Succeeded" not in run] == [
        next(run for run in runs if run.startswith("Service health"))]
    assert "Failed" in next(run for run in runs if run.startswith("Service health"))
    screenshot(page, "tenant-sync-now.png")

    # A phone: the tenants page (with the progress shown) and the form never scroll sideways.
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    page.goto(site.url + "/tenants/add/")
    page.wait_for_load_state()
    assert no_sideways_scroll(page)

    # In Japanese, editing: the stored secret is tested, and the report is in Japanese.
    page.set_viewport_size(DESKTOP)
    page.goto(site.url + "/")
    page.select_option("#language-select", "ja")
    page.click("form.language button[type=submit]")
    page.wait_for_load_state()
    page.click("section.tenant a.button:has-text('編集')")
    page.wait_for_url(re.compile(r".*/tenants/\d+/edit/$"), timeout=TIMEOUT_MS)
    page.click("#test-connection")
    page.wait_for_selector("table.connection-results", timeout=TIMEOUT_MS)
    refused = page.locator("tr[data-collector='service_health'] td.outcome").inner_text()
    assert f"アクセス許可 {MISSING} が必要です" in refused
    screenshot(page, "tenant-onboarding-ja.png")
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    violations += watched.csp_violations()
    assert violations == []
    assert watched.problems == []
