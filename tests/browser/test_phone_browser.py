"""On a phone (390×844): the menu folds away, no main page scrolls sideways, sign-in lands on
the dashboard, and the site has an icon."""

from __future__ import annotations

import urllib.request

import pytest

from tests.browser.test_dashboard_browser import PHONE, TIMEOUT_MS
from tests.browser.test_signins_browser import page_overflow, site_url  # noqa: F401 (fixture)
from tests.live import PASSWORD, USERNAME

pytestmark = pytest.mark.browser

PAGES = ["/", "/dashboard/", "/alerts/", "/signins/", "/signins/?group=app", "/users/",
         "/mailboxes/", "/teams/", "/onedrive/", "/account/time-zone/"]


@pytest.fixture
def phone(watched, site_url):  # noqa: F811 (the imported fixture)
    page = watched.page
    page.set_viewport_size(PHONE)
    page.goto(site_url + "/accounts/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    return page


def test_sign_in_lands_on_the_dashboard(phone, site_url):  # noqa: F811
    phone.wait_for_url(site_url + "/dashboard/", timeout=TIMEOUT_MS)


def test_the_menu_folds_away_and_opens(phone, watched, site_url):  # noqa: F811
    phone.wait_for_url(site_url + "/dashboard/", timeout=TIMEOUT_MS)
    assert not phone.locator("#site-nav").is_visible()
    assert phone.locator(".topbar").bounding_box()["height"] < 80
    phone.click("label[for=nav-toggle]")
    assert phone.locator("#site-nav a[href='/signins/']").is_visible()
    phone.click("#site-nav a[href='/signins/']")
    phone.wait_for_url(site_url + "/signins/")
    assert not phone.locator("#site-nav").is_visible()
    assert watched.csp_violations() == []


def test_no_main_page_scrolls_sideways(phone, watched, site_url):  # noqa: F811
    phone.wait_for_url(site_url + "/dashboard/", timeout=TIMEOUT_MS)
    wide = []
    for path in PAGES:
        phone.goto(site_url + path)
        if (extra := page_overflow(phone)) > 0:
            wide.append(f"{path}: {extra} px")
    assert wide == []
    assert watched.problems == [] and watched.csp_violations() == []


def test_pages_name_an_icon_that_exists(phone, site_url):  # noqa: F811
    phone.wait_for_url(site_url + "/dashboard/", timeout=TIMEOUT_MS)
    href = phone.get_attribute("link[rel=icon]", "href")
    with urllib.request.urlopen(site_url + href if href.startswith("/") else href) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("image/svg+xml")
