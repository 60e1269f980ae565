"""The dashboard in Chromium: drawn, live, within the CSP, legible on a desktop and a phone."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from m365admin.choices import Component
from tests.live import PASSWORD, ROOT, USERNAME

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
CHARTS = ["cpu", "memory", "disk", "disk-io", "network", "app", "latency", "throughput", "errors"]
STATUSES = {"Up", "Degraded", "Down"}
TIMEOUT_MS = 15_000


def sign_in(page, site_url: str) -> None:
    page.goto(site_url + "/dashboard/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url(site_url + "/dashboard/")


def wait_until(page, condition: str, timeout: float = TIMEOUT_MS / 1000) -> None:
    """Polls a JS condition through page.evaluate: wait_for_function evals strings in the page,
    which the CSP (rightly) refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {condition}")
        page.wait_for_timeout(100)


def points(page, chart: str) -> int:
    return page.evaluate(f"document.getElementById('chart-{chart}').data[0].x.length")


# The span of a chart's time axis, in hours.
WINDOW_HOURS = """(id) => {
    const [start, end] = document.getElementById(id).layout.xaxis.range;
    return (new Date(end) - new Date(start)) / 3600000;
}"""


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_signed_out_browser_lands_on_the_login_page(watched, site_url):
    page = watched.page
    page.goto(site_url + "/dashboard/")
    assert page.url.startswith(site_url + "/accounts/login/?next=/dashboard/")
    assert page.locator("#id_username").is_visible()
    assert watched.csp_violations() == []


def test_the_dashboard_draws_goes_live_and_updates(watched, site_url):
    page = watched.page
    sign_in(page, site_url)

    page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)
    assert page.inner_text("#connection-text") == "Live"
    for chart in CHARTS:
        page.wait_for_selector(f"#chart-{chart} .main-svg", state="attached", timeout=TIMEOUT_MS)

    wait_until(page, "[...document.querySelectorAll('#health .health')]"
                     ".every(badge => badge.dataset.status !== 'waiting')")
    badges = page.locator("#health .health")
    assert badges.count() == len(Component)
    assert {badges.nth(i).locator(".health-status").inner_text()
            for i in range(len(Component))} <= STATUSES

    # A live update: a new "last update" time, and a point appended to the CPU chart.
    updated, cpu_points = page.inner_text("#last-update"), points(page, "cpu")
    wait_until(page, f"document.getElementById('last-update').textContent !== {updated!r}"
                     f" && document.getElementById('chart-cpu').data[0].x.length > {cpu_points}")
    # Enough points for every chart to draw a line in the screenshots.
    wait_until(page, "document.getElementById('chart-latency').data[0].x.length >= 3")
    assert page.locator("#routes tr").count() >= 1
    assert page.locator("#tenants-empty").is_visible()  # a fresh site has no tenant yet

    page.click("button[data-hours='6']")
    wait_until(page, f"({WINDOW_HOURS})('chart-cpu') > 5.9")
    assert page.get_attribute("button[data-hours='6']", "aria-pressed") == "true"
    assert page.locator("#range-error").is_hidden()
    page.click("button[data-hours='1']")
    wait_until(page, f"({WINDOW_HOURS})('chart-cpu') < 1.1")
    screenshot(page, "dashboard.png")

    # On a phone the grid is one column and the charts shrink with the window.
    page.set_viewport_size(PHONE)
    wait_until(page, "document.querySelector('#chart-cpu .main-svg').getBoundingClientRect().width < 390")
    wait_until(page, f"document.documentElement.scrollWidth <= {PHONE['width']}")
    screenshot(page, "dashboard-phone.png")

    assert watched.csp_violations() == []
    assert watched.problems == []


def relay_sockets(page) -> list:
    """Routes the dashboard's websockets through the test, which may then drop them."""
    sockets = []

    def relay(socket) -> None:
        socket.connect_to_server()
        sockets.append(socket)

    page.route_web_socket(lambda url: urlsplit(url).path == "/ws/dashboard/", relay)
    return sockets


def test_a_dropped_connection_comes_back_without_a_reload(watched, site_url):
    page = watched.page
    sockets = relay_sockets(page)
    sign_in(page, site_url)
    page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)
    page.evaluate("window.notReloaded = true")  # a reload would forget it

    sockets[-1].close(code=1011, reason="test")
    page.wait_for_selector("#connection[data-state='reconnecting']", timeout=TIMEOUT_MS)
    assert page.locator("#retry-text").inner_text().startswith("Next attempt in")

    page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)
    assert len(sockets) == 2
    assert page.evaluate("window.notReloaded") is True
    assert watched.csp_violations() == []
    assert watched.problems == []


def test_a_page_whose_session_ended_says_so_and_stops_retrying(watched, site_url):
    page = watched.page
    sockets = relay_sockets(page)
    sign_in(page, site_url)
    page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)

    watched.context.clear_cookies()  # signed out, as from another tab
    sockets[-1].close(code=1011, reason="test")
    page.wait_for_selector("#connection[data-state='signed-out']", timeout=TIMEOUT_MS)
    assert page.locator("#sign-in-again").is_visible()
    assert page.locator("#retry-now").is_hidden()  # no retry is scheduled
    # The only complaint is the browser logging the probe's 401, which is how it learnt.
    assert watched.problems and all("401" in problem for problem in watched.problems)
