"""The sign-in explorer in Chromium: a failed sign-in's who, when and why on one 1366×768
screen, group-by totals that match the lists they link to, and the dashboard's figures
leading to the filtered lists."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import served_site
from tests.browser.test_dashboard_browser import PHONE, TIMEOUT_MS, screenshot, sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
LONG_NAME = "Ｗ" * 256  # as long as Graph keeps, wide, with no space to break at

# One tenant: 40 sign-ins over the last hours, 12 of them failed (three reasons), 5 risky, one
# by a user whose name is 256 wide characters; the dashboard's hourly rollups rebuilt.
_SEED = f"""
from datetime import timedelta
from django.utils import timezone
from m365admin import partitions
from m365admin.models import SignIn, Tenant
from m365admin.rollups import refresh_signin_hours
now = timezone.now()
tenant = Tenant(name="Contoso", tenant_id="11111111-1111-1111-1111-111111111111",
                client_id="22222222-2222-2222-2222-222222222222")
tenant.set_client_secret("not-a-secret")
tenant.save()
codes = [50126] * 6 + [53003] * 4 + [50057] * 2 + [0] * 28
rows = [SignIn(tenant=tenant, graph_id=f"s{{i}}", created=now - timedelta(minutes=7 * i + 1),
               user_principal_name=f"user{{i % 5}}@contoso.com",
               user_display_name={LONG_NAME!r} if i == 0 else f"User {{i % 5}}",
               app_display_name=["Office 365 Exchange Online", "Azure Portal"][i % 2],
               app_id=f"app-{{i % 2}}", client_app_used="Browser", country="JP", city="Tokyo",
               ip_address=f"203.0.113.{{i % 4}}", error_code=codes[i],
               failure_reason="Invalid username or password." if codes[i] else "",
               risk_level_during_sign_in="high" if i % 8 == 0 else "none")
        for i in range(40)]
partitions.ensure_months({{partitions.month_start(row.created) for row in rows}})
SignIn.objects.bulk_create(rows)
refresh_signin_hours(tenant, now - timedelta(hours=6), now)
"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "signins-site", _SEED) as site:
        yield site.url


def page_overflow(page) -> int:
    """How far the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _inside_window(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size["width"] \
        and box["y"] + box["height"] <= size["height"] * 3


def test_a_failed_sign_in_shows_who_when_and_why_without_scrolling_sideways(watched, site_url):
    page = watched.page
    page.set_viewport_size(LAPTOP)
    sign_in(page, site_url)
    page.goto(site_url + "/signins/?status=failed")
    first = "table.signins tbody tr:first-child"
    for cell in ("col-time", "col-user", "col-status", "col-app", "col-ip"):
        assert _inside_window(page, f"{first} td.{cell}"), cell
        assert page.locator(f"{first} td.{cell}").is_visible(), cell
    assert page.locator(f"{first} td.col-status").inner_text().startswith("Failed")
    assert "Wrong user name or password" in page.locator(f"{first} td.col-status").inner_text()
    # The 256-character name stays in its cell, cut with an ellipsis, whole in the title.
    user = page.locator(f"{first} td.col-user")
    assert LONG_NAME in user.get_attribute("title")
    assert user.bounding_box()["width"] < 400
    assert page_overflow(page) == 0
    screenshot(page, "signins-1366.png")
    assert watched.problems == [] and watched.csp_violations() == []


def test_on_a_phone_the_least_useful_columns_give_way(watched, site_url):
    page = watched.page
    page.set_viewport_size(PHONE)
    sign_in(page, site_url)
    page.goto(site_url + "/signins/")
    row = "table.signins tbody tr:first-child"
    assert page.locator(f"{row} td.col-status").is_visible()
    assert not page.locator(f"{row} td.col-tenant").is_visible()
    assert not page.locator(f"{row} td.col-ip").is_visible()
    assert page_overflow(page) == 0


def test_group_by_reason_totals_equal_the_lists_they_link_to(watched, site_url):
    page = watched.page
    page.set_viewport_size(LAPTOP)
    sign_in(page, site_url)
    page.goto(site_url + "/signins/")
    page.click("nav.groupings >> text=Failure reason")
    page.wait_for_selector("table.signin-groups")
    screenshot(page, "signins-grouped-1366.png")
    rows = page.locator("table.signin-groups tbody tr")
    groups = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        groups.append((cells.nth(0).locator("a").get_attribute("href"),
                       int(cells.nth(1).inner_text())))
    assert sorted(count for _href, count in groups) == [2, 4, 6, 28]
    assert int(page.locator("table.signin-groups tfoot td").first.inner_text()) == 40
    for href, count in groups:
        page.goto(site_url + "/signins/" + href)
        assert page.locator("table.signins tbody tr").count() == count, href
    assert page_overflow(page) == 0
    assert watched.problems == [] and watched.csp_violations() == []


def test_a_row_opens_its_details(watched, site_url):
    page = watched.page
    sign_in(page, site_url)
    page.goto(site_url + "/signins/?status=failed")
    page.click("table.signins tbody tr:first-child td.col-time a")
    page.wait_for_url(re.compile(r".*/signins/\d+/$"))
    assert "AADSTS50126" in page.inner_text("main")
    assert "Tokyo" in page.inner_text("main")
    assert page_overflow(page) == 0


def test_the_dashboard_figures_link_to_the_filtered_lists(watched, site_url):
    page = watched.page
    sign_in(page, site_url)
    page.wait_for_selector("#tenants [data-link='failed'][href]", timeout=TIMEOUT_MS)
    failed = page.locator("#tenants [data-link='failed']")
    assert "12" in failed.inner_text()
    failed.click()
    page.wait_for_url(re.compile(r".*/signins/\?.*status=failed"))
    assert page.locator("table.signins tbody tr").count() == 12
    page.go_back()
    page.wait_for_selector("#tenants [data-link='risky'][href]", timeout=TIMEOUT_MS)
    risky = page.locator("#tenants [data-link='risky']")
    assert risky.inner_text() == "5"
    risky.click()
    page.wait_for_url(re.compile(r".*/signins/\?.*risky=true"))
    assert page.locator("table.signins tbody tr").count() == 5
    assert watched.problems == [] and watched.csp_violations() == []


def test_a_chosen_time_zone_rules_the_pages_and_the_dashboard_script(watched, site_url):
    page = watched.page
    page.set_viewport_size(LAPTOP)
    sign_in(page, site_url)
    page.goto(site_url + "/account/time-zone/")
    page.select_option("#id_time_zone", "Pacific/Chatham")  # +13:45, no browser's default
    page.click("form.stacked-form button[type=submit]")
    page.goto(site_url + "/signins/")
    assert page.inner_text(".topbar .time-zone") == "Pacific/Chatham"
    assert "(Pacific/Chatham)" in page.inner_text(".explorer-summary")
    page.goto(site_url + "/dashboard/")
    page.wait_for_selector("#last-update[datetime]", timeout=TIMEOUT_MS)
    stamp = page.get_attribute("#last-update", "datetime")
    local = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(ZoneInfo("Pacific/Chatham"))
    assert page.inner_text("#last-update").startswith(local.strftime("%-I:%M"))
    assert watched.problems == [] and watched.csp_violations() == []
