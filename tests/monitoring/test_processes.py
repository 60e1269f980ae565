"""Production shape: daphne and the scheduler as separate OS processes on PostgreSQL and Redis."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from websockets.sync.client import connect

from tests.live import login_cookie

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _samples(site) -> int:
    return site.query("SELECT count(*) FROM monitoring_metricsample")[0][0]


def test_a_tick_from_the_scheduler_process_reaches_a_browser_socket_on_daphne(live_site):
    live_site.env["MONITORING_INTERVAL"] = "1"
    base = live_site.serve("--no-scheduler")
    live_site.start("scheduler", log="scheduler.log")
    cookie = login_cookie(base)
    url = base.replace("http", "ws") + "/ws/dashboard/"
    with connect(url, additional_headers={"Cookie": cookie, "Origin": base}) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"
        tick = json.loads(socket.recv(timeout=15))
    assert tick["type"] == "tick"
    assert tick["metrics"]["cpu"] is not None
    assert [h["component"] for h in tick["health"]] == [
        "api", "database", "graph", "exchange", "auth", "cache", "queue"
    ]


def test_only_one_of_two_schedulers_samples_and_the_other_takes_over(live_site):
    live_site.env["MONITORING_INTERVAL"] = "0.5"
    live_site.env["HEALTH_CHECK_TIMEOUT"] = "0.4"
    first = live_site.start("scheduler", log="first.log")
    _wait_for(lambda: "scheduler is the leader" in live_site.log("first.log"), 30, "a leader")
    second = live_site.start("scheduler", log="second.log")
    _wait_for(lambda: "scheduler started" in live_site.log("second.log"), 30, "the standby")
    before = _samples(live_site)
    time.sleep(3)
    # Two samplers would write ~12 rows in 3 s at 0.5 s; one writes ~6.
    assert 2 <= _samples(live_site) - before <= 8
    assert "scheduler is the leader" not in live_site.log("second.log")

    os.killpg(first.pid, signal.SIGKILL)  # no clean shutdown: the lock goes with the connection
    first.wait()
    _wait_for(lambda: "scheduler is the leader" in live_site.log("second.log"), 5, "a takeover")
    after = _samples(live_site)
    _wait_for(lambda: _samples(live_site) >= after + 3, 10, "samples from the new leader")
    assert second.poll() is None


def test_a_hung_leader_is_replaced_and_stands_by_when_it_wakes(live_site):
    live_site.env["MONITORING_INTERVAL"] = "1"
    live_site.env["HEALTH_CHECK_TIMEOUT"] = "0.5"
    first = live_site.start("scheduler", log="first.log")
    _wait_for(lambda: "scheduler is the leader" in live_site.log("first.log"), 30, "a leader")
    second = live_site.start("scheduler", log="second.log")
    _wait_for(lambda: "scheduler started" in live_site.log("second.log"), 30, "the standby")

    os.killpg(first.pid, signal.SIGSTOP)  # hung, its session and its lock still held
    try:
        # The lease is max(2 intervals, 5 s): the standby leads within it and a round or two.
        _wait_for(lambda: "scheduler is the leader" in live_site.log("second.log"), 15,
                  "the standby to fence the hung leader and take over")
        after = _samples(live_site)
        _wait_for(lambda: _samples(live_site) >= after + 3, 10, "samples from the new leader")
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    _wait_for(lambda: "lost its leader lock; standing by" in live_site.log("first.log"), 15,
              "the old leader to find its lock gone")
    before = _samples(live_site)
    time.sleep(4)
    # One sampler at 1 s writes ~4 rows in 4 s; two would write ~8.
    assert 2 <= _samples(live_site) - before <= 6
    assert first.poll() is None and second.poll() is None
