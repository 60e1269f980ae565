"""The production topology (`serve --production`) on PostgreSQL and Redis: Caddy with TLS in
front of 2 granian workers, daphne for /ws/ and 2 schedulers, driven through the proxy."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import ssl
import time

import pytest

from m365admin.lib.supervisor import RESTART_DELAY_SECONDS
from tests.browser.conftest import DESKTOP, Watched
from tests.browser.test_dashboard_browser import TIMEOUT_MS, sign_in, wait_until
from tests.conftest import IN_CI
from tests.live import USERNAME, LiveSite, Topology

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.browser]

# MONITORING_INTERVAL: seconds between ticks, and between a standby's attempts; shorter than
# the supervisor's pause before starting the killed scheduler again, so the standby leads.
INTERVAL = 3
# What "within one interval" allows on top: the standby's lock query and its log line's way
# through the supervisor, on a machine shared with other test runs.
TAKEOVER_SLACK = 1.5
# A client on another loopback address, so the address the app sees tells the client from
# the proxy (127.0.0.1).
CLIENT_ADDRESS = "127.0.0.2"


@pytest.fixture(scope="module", autouse=True)
def _caddy():
    if shutil.which("caddy") is None:
        message = "needs Caddy on PATH: apt-get install caddy (CI always does)"
        pytest.fail(message) if IN_CI else pytest.skip(message)


@pytest.fixture(scope="module")
def topology(tmp_path_factory, collected_static):
    site = LiveSite(tmp_path_factory.mktemp("topology"), MONITORING_INTERVAL=str(INTERVAL))
    try:
        site.prepare(collected_static)
        yield Topology(site)
    finally:
        site.stop()


def https(topology: Topology) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # self-signed
    return http.client.HTTPSConnection("127.0.0.1", topology.port, context=context,
                                       source_address=(CLIENT_ADDRESS, 0), timeout=10)


def get(topology: Topology, path: str, headers: dict[str, str] | None = None):
    connection = https(topology)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_static_files_come_from_caddy_precompressed_and_cached(topology):
    page = get(topology, "/accounts/login/").body.decode()
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page).group(1)

    response = get(topology, stylesheet, {"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.getheader("Server") == "Caddy"  # not proxied to the app
    assert response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control")
    assert get(topology, "/static/css/no-such-file.css").status == 404


def test_plain_http_is_redirected_to_https(topology):
    connection = http.client.HTTPConnection("127.0.0.1", topology.http_port, timeout=10)
    connection.request("GET", "/dashboard/?range=6")
    response = connection.getresponse()

    assert response.status == 301
    assert response.getheader("Location") == f"{topology.url}/dashboard/?range=6"


def test_the_app_sees_the_client_address_and_https_through_the_proxy(topology):
    login = get(topology, "/accounts/login/")
    # HSTS goes out only on a request the app believes secure: X-Forwarded-Proto got through.
    assert login.getheader("Strict-Transport-Security", "").startswith("max-age=")
    cookie = re.search(r"csrftoken=([^;]+)", login.getheader("Set-Cookie")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.body.decode()).group(1)

    connection = https(topology)
    connection.request(
        "POST", "/accounts/login/",
        body=f"username={USERNAME}&password=wrong-password&csrfmiddlewaretoken={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Cookie": f"csrftoken={cookie}", "Referer": f"{topology.url}/accounts/login/",
                 # A client's own claim: Caddy must drop it, not pass it on.
                 "X-Forwarded-For": "203.0.113.9"},
    )
    response = connection.getresponse()
    response.read()

    assert response.status == 200  # the form again, with its error (not a CSRF 403)
    assert topology.site.query("SELECT host(ip_address) FROM axes_accessattempt") == [
        (CLIENT_ADDRESS,)]


def test_a_viewer_signs_in_sees_ticks_and_the_standby_scheduler_takes_over(topology, browser):
    context = browser.new_context(viewport=DESKTOP, ignore_https_errors=True)
    watched = Watched(context)
    page = watched.page
    try:
        sign_in(page, topology.url)
        page.wait_for_selector("#connection[data-state='live']", timeout=TIMEOUT_MS)
        _see_a_tick(page)

        _, line = topology.wait_for(lambda text: text.endswith("scheduler is the leader"),
                                    timeout=TIMEOUT_MS / 1000)
        leader = line.split()[0]
        standby = ({"scheduler.1", "scheduler.2"} - {leader}).pop()
        os.kill(topology.pids()[leader], signal.SIGKILL)
        killed = time.monotonic()

        took_over, _ = topology.wait_for(
            lambda text: text.startswith(standby) and text.endswith("scheduler is the leader"),
            after=killed, timeout=INTERVAL + 10)
        assert took_over - killed <= INTERVAL + TAKEOVER_SLACK
        _see_a_tick(page)  # ticks from the new leader reach the same page
        assert page.inner_text("#connection-text") == "Live"
        # The supervisor starts the killed one again, as a standby now.
        topology.wait_for(lambda text: f"{leader} started pid=" in text, after=killed,
                          timeout=RESTART_DELAY_SECONDS + 5)
        assert watched.csp_violations() == []
        assert watched.problems == []
    finally:
        context.close()


def _see_a_tick(page) -> None:
    updated = page.inner_text("#last-update")
    wait_until(page, f"document.getElementById('last-update').textContent !== {updated!r}",
               timeout=INTERVAL * 4)


def test_ctrl_c_stops_every_process(tmp_path, collected_static):
    site = LiveSite(tmp_path)
    try:
        site.prepare(collected_static)
        running = Topology(site, workers=1)
        pids = running.pids()
        assert set(pids) == {"wsgi", "daphne", "scheduler.1", "scheduler.2", "worker.1",
                             "worker.2", "caddy"}

        os.killpg(running.process.pid, signal.SIGINT)

        assert running.process.wait(timeout=30) == 0
        assert [name for name, pid in pids.items() if _alive(pid)] == []
    finally:
        site.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
