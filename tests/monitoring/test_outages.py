"""Outages answer, not crash: `serve` reaches PostgreSQL and Redis through TCP proxies that each
test cuts (tests/tcpproxy.py), so a real pool and a real channel layer see the outage, while
the shared services keep running for everyone else."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid

import pytest
from websockets.sync.client import connect

from tests.live import login_cookie
from tests.tcpproxy import TCPProxy

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

HEALTH_CHECK_TIMEOUT = 3.0
# A page or API call during an outage: seconds, not the pool's 10 s (a loaded shared machine).
QUICK = 4.0


class Site:
    """A `serve` process whose database and Redis are behind proxies; `get` times each call."""

    def __init__(self, live_site, *, scheduler: bool = False) -> None:
        self.live = live_site
        self.database = TCPProxy.in_front_of(live_site.env["DATABASE_URL"])
        self.redis = TCPProxy.in_front_of(os.environ["REDIS_URL"])
        direct = {"DATABASE_URL": live_site.env["DATABASE_URL"],
                  "REDIS_URL": os.environ["REDIS_URL"]}
        live_site.env |= {
            "HEALTH_CHECK_TIMEOUT": str(HEALTH_CHECK_TIMEOUT),
            "MONITORING_INTERVAL": "1",
            "CACHE_KEY_PREFIX": f"outages-{uuid.uuid4().hex[:8]}",
        }
        if scheduler:
            # Apart and direct: the outage is the web process's alone, the ticks go on.
            live_site.env |= direct
            live_site.start("scheduler", log="scheduler.log")
        live_site.env |= {"DATABASE_URL": self.database.through(direct["DATABASE_URL"]),
                          "REDIS_URL": self.redis.through(direct["REDIS_URL"])}
        self.base = live_site.serve("--no-scheduler")
        self.cookie = login_cookie(self.base)

    def get(self, path: str, *, cookie: bool = True, language: str = "en"
            ) -> tuple[int, str, dict, float]:
        """(status, body, headers, seconds taken)."""
        headers = {"Accept-Language": language}
        if cookie:
            headers["Cookie"] = self.cookie
        request = urllib.request.Request(self.base + path, headers=headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, body, got = error.code, error.read(), error.headers
        return status, body.decode(), dict(got), time.monotonic() - started

    def until(self, path: str, status: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while (got := self.get(path)[0]) != status:
            assert time.monotonic() < deadline, f"{path} still answers {got}, not {status}"
            time.sleep(0.3)

    def socket(self):
        url = self.base.replace("http", "ws") + "/ws/dashboard/"
        return connect(url, additional_headers={"Cookie": self.cookie, "Origin": self.base},
                       open_timeout=15)

    def close(self) -> None:
        self.database.close()
        self.redis.close()


@pytest.fixture
def site(live_site):
    site = Site(live_site)
    yield site
    site.close()


@pytest.fixture
def ticking_site(live_site):
    site = Site(live_site, scheduler=True)
    yield site
    site.close()


# Probes ---------------------------------------------------------------------------------------


def test_healthz_answers_with_the_database_and_redis_down_and_a_session_cookie(site):
    site.database.cut()
    site.redis.cut()
    for cookie in (True, False):
        status, body, headers, seconds = site.get("/healthz", cookie=cookie)
        assert (status, body) == (200, "ok")
        assert seconds < 1.5
        assert "Set-Cookie" not in headers  # the session was never touched


def test_readyz_names_what_failed_within_the_health_check_timeout_and_recovers(site):
    assert site.get("/readyz")[0] == 200
    for outage in (site.database.cut, site.database.stall):
        outage()
        status, body, _, seconds = site.get("/readyz")  # with the session cookie
        assert status == 503
        assert json.loads(body) == {"status": "unavailable", "reason": "database unavailable",
                                    "failed": ["database"]}
        assert seconds < HEALTH_CHECK_TIMEOUT + 2
        site.database.restore()
        site.until("/readyz", 200)

    site.redis.stall()
    status, body, _, seconds = site.get("/readyz", cookie=False)
    assert (status, json.loads(body)["failed"]) == (503, ["cache"])
    assert seconds < HEALTH_CHECK_TIMEOUT + 2
    site.database.cut()
    site.redis.cut()
    status, body, _, _ = site.get("/readyz")
    assert json.loads(body)["failed"] == ["database", "cache"]
    site.database.restore()
    site.redis.restore()
    site.until("/readyz", 200)


# Pages and the API with PostgreSQL down -------------------------------------------------------


def test_pages_and_the_api_answer_503_at_once_while_the_database_is_down(site):
    assert site.get("/dashboard/")[0] == 200
    site.database.cut()
    # The first request finds the pool's connections dead; the later ones are answered
    # without asking the pool at all. None waits for the pool's 10 s timeout.
    for path in ("/dashboard/", "/signins/", "/", "/dashboard/"):
        status, body, headers, seconds = site.get(path)
        assert status == 503, (path, body[:500])
        assert seconds < QUICK, path
        assert "<h1>Database unavailable</h1>" in body
        assert "Traceback" not in body and "OperationalError" not in body
        assert headers["Retry-After"].isdigit()
    status, body, _, seconds = site.get("/dashboard/", language="ja")
    assert (status, seconds < QUICK) == (503, True)
    assert "データベースに接続できません" in body

    status, body, headers, seconds = site.get("/api/v1/tenants/")
    assert status == 503 and seconds < QUICK
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "The database is unavailable. Try again shortly."}


def test_pages_come_back_when_the_database_does(site):
    site.database.cut()
    assert site.get("/dashboard/")[0] == 503
    site.database.restore()
    site.until("/dashboard/", 200)
    assert site.get("/api/v1/tenants/")[0] == 200


# Redis down: the monitoring API and the dashboard socket --------------------------------------


def test_the_monitoring_api_answers_from_the_database_while_redis_is_down(ticking_site):
    site = ticking_site
    site.until("/api/v1/metrics/monitoring", 200)
    for outage in (site.redis.stall, site.redis.cut):  # a stall first, before any failure
        outage()
        status, body, _, seconds = site.get("/api/v1/metrics/monitoring")
        assert status == 200, body[:500]
        assert seconds < QUICK  # one cache read waits its 2 s, the others fail at once
        latest = json.loads(body)
        assert latest["metrics"]["cpu"] is not None
        assert {check["component"] for check in latest["health"]} >= {"database", "cache"}
        assert time.time() - latest["t"] < 10  # the scheduler's ticks go on, in the database
        site.redis.restore()


def _messages_until_closed(socket) -> list[dict]:
    messages = []
    try:
        while True:
            messages.append(json.loads(socket.recv(timeout=10)))
    except Exception:  # ConnectionClosed: the server closed as it should
        pass
    return messages


@pytest.mark.parametrize("outage", ["cut", "stall"])
def test_the_dashboard_socket_says_live_updates_are_unavailable_then_recovers(site, outage):
    getattr(site.redis, outage)()
    started = time.monotonic()
    with site.socket() as socket:
        messages = _messages_until_closed(socket)
        assert socket.close_code == 4503  # try again later
    assert time.monotonic() - started < QUICK + 3  # the 3 s group join bound at most
    assert [message["type"] for message in messages] == ["unavailable", "snapshot"]

    site.redis.restore()
    with site.socket() as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"
        socket.close()


def test_a_connected_dashboard_is_told_when_redis_goes_away(site):
    with site.socket() as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"
        site.redis.cut()
        messages = _messages_until_closed(socket)
        assert socket.close_code == 4503
    assert [message["type"] for message in messages] == ["unavailable"]
