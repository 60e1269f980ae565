"""Charts keep the reader's time zone, not the browser's: in a New York browser, a reader who
chose Asia/Tokyo sees Tokyo times on the dashboard's axes; on a Japanese page the dates on an
axis read the Japanese way."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import DESKTOP, Watched, served_site
from tests.browser.test_dashboard_browser import TIMEOUT_MS, sign_in, wait_until
from tests.live import USERNAME

pytestmark = pytest.mark.browser

CHOSEN, BROWSERS = "Asia/Tokyo", "America/New_York"  # 14 hours apart in December

_SEED = f"""
from django.contrib.auth.models import User
from security import roles
from m365admin.models.preferences import Preference
user = User.objects.get(username={USERNAME!r})
roles.assign(user, roles.VIEWER)
Preference.objects.create(user=user, time_zone={CHOSEN!r})
from security.models import SecurityEvent
SecurityEvent.objects.create(kind="login_failed", severity="warning", username="mallory")
"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "zone-site", _SEED,
                     MONITORING_INTERVAL="1") as site:
        yield site.url


@pytest.fixture
def new_york(browser):
    context = browser.new_context(viewport=DESKTOP, timezone_id=BROWSERS)
    yield Watched(context)
    context.close()


def _hours_around_now(zone: str) -> set[str]:
    now = datetime.now(ZoneInfo(zone))
    return {f"{(now + timedelta(minutes=m)):%H}" for m in (-65, 0, 2)}


def _tick_labels(page, chart: str) -> list[str]:
    return page.eval_on_selector_all(f"#{chart} .xtick text", "ts => ts.map(t => t.textContent)")


def test_dashboard_axes_are_in_the_chosen_zone_not_the_browsers(new_york, site_url):
    page = new_york.page
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSERS
    sign_in(page, site_url)
    page.wait_for_selector("#chart-cpu .xtick text", timeout=TIMEOUT_MS)
    wait_until(page, "document.getElementById('chart-cpu').data[0].x.length >= 2")

    # The window ends now on Tokyo's clock, and every hour on the axis is a Tokyo hour.
    end = page.evaluate("document.getElementById('chart-cpu').layout.xaxis.range[1]")
    tokyo_now = datetime.now(ZoneInfo(CHOSEN)).replace(tzinfo=None)
    assert abs(datetime.fromisoformat(end) - tokyo_now) < timedelta(minutes=2), end
    hours = {label.split(":")[0] for label in _tick_labels(page, "chart-cpu")}
    assert hours and hours <= _hours_around_now(CHOSEN), hours
    assert not hours & _hours_around_now(BROWSERS)
    assert new_york.problems == [] and new_york.csp_violations() == []


def test_a_japanese_page_writes_axis_dates_in_japanese(new_york, site_url):
    page = new_york.page
    sign_in(page, site_url)
    page.goto(site_url + "/security/")
    page.select_option("#language-select", "ja")
    page.click("form.language button[type=submit]")
    page.wait_for_selector("#security-chart .xtick text", timeout=TIMEOUT_MS)
    labels = _tick_labels(page, "security-chart")
    assert any("月" in label and "日" in label for label in labels), labels
    assert not any(month in " ".join(labels) for month in ("Dec", "Nov", "Jan")), labels
    assert new_york.problems == [] and new_york.csp_violations() == []
