"""The dashboard in Chromium while Redis is unreachable: it says live updates are unavailable,
keeps what it has, and goes live again by itself when Redis is back."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.browser.test_dashboard_browser import TIMEOUT_MS, sign_in
from tests.tcpproxy import TCPProxy

pytestmark = [pytest.mark.browser, pytest.mark.redis]


@pytest.fixture
def site_behind_a_redis_proxy(live_site):
    """A served site ticking every second whose Redis is reached through a proxy."""
    proxy = TCPProxy.in_front_of(os.environ["REDIS_URL"])
    live_site.env |= {
        "REDIS_URL": proxy.through(os.environ["REDIS_URL"]),
        "MONITORING_INTERVAL": "1",
        "CACHE_KEY_PREFIX": f"outages-{uuid.uuid4().hex[:8]}",
    }
    yield live_site.serve(), proxy
    proxy.close()


def test_the_dashboard_says_live_updates_are_unavailable_and_comes_back(
        watched, site_behind_a_redis_proxy):
    site_url, redis = site_behind_a_redis_proxy
    page = watched.page
    sign_in(page, site_url)
    page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)

    redis.cut()
    page.wait_for_selector("#connection[data-state='live-unavailable']", timeout=TIMEOUT_MS)
    assert page.locator("#connection-text").inner_text() == "Live updates unavailable"
    assert page.locator("#retry-now").is_visible()
    # Every retry is told the same, and draws what the database holds meanwhile.
    page.wait_for_timeout(3000)
    assert page.locator("#connection").get_attribute("data-state") == "live-unavailable"
    assert page.locator("#health [data-status='up']").count() > 0

    redis.restore()
    page.locator("#retry-now").click()
    page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)
    assert watched.csp_violations() == []
    assert watched.problems == []
