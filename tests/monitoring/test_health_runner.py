"""The runner: concurrency, timeouts, hung checks that are not restarted, failures contained."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time

import pytest
from django.db import connections

from m365admin.choices import HealthStatus
from m365admin.lib.health import Health
from m365admin.registry.health import checks
from monitoring.health.runner import HealthRunner

TIMEOUT = 0.3


def _up(component: str):
    def check(timeout: float) -> Health:
        return Health(component, HealthStatus.UP, 1.0, "fine")
    return check


class Hung:
    """A check that blocks until released; counts how often it was started."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.started = 0
        self.release = threading.Event()

    def __call__(self, timeout: float) -> Health:
        self.started += 1
        self.release.wait(10)
        return Health(self.component, HealthStatus.UP, 1.0, "answered at last")


@pytest.fixture
def hung():
    made: list[Hung] = []

    def make(component: str) -> Hung:
        made.append(Hung(component))
        return made[-1]

    yield make
    for check in made:
        check.release.set()
    _join_health_threads()


def _join_health_threads() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("health-"):
            thread.join(5)


def _run(runner: HealthRunner, timeout: float = TIMEOUT) -> list[Health]:
    return asyncio.run(runner.run(timeout))


def test_it_knows_the_components_in_display_order():
    assert list(checks()) == ["api", "database", "graph", "exchange", "auth", "cache", "queue"]


def test_it_runs_the_checks_concurrently_and_keeps_their_order():
    both_running = threading.Barrier(2, timeout=2)  # breaks unless both run at once

    def together(component):
        def check(timeout: float) -> Health:
            both_running.wait()
            return Health(component, HealthStatus.UP, 1.0, "fine")
        return check

    results = _run(HealthRunner({"b": together("b"), "a": together("a")}), timeout=2)
    assert [(r.component, r.status) for r in results] == [("b", "up"), ("a", "up")]


def test_a_hung_check_is_down_after_the_timeout_and_does_not_hold_the_others(hung):
    runner = HealthRunner({"slow": hung("slow"), "quick": _up("quick")})
    started = time.perf_counter()
    slow, quick = _run(runner)
    assert TIMEOUT <= time.perf_counter() - started < TIMEOUT + 0.2
    assert (slow.status, slow.reason, slow.latency_ms) == (
        HealthStatus.DOWN, "no answer within 0.3 s", 300.0)
    assert quick.status == HealthStatus.UP


def test_a_check_still_hung_is_not_started_again(hung):
    slow = hung("slow")
    runner = HealthRunner({"slow": slow, "quick": _up("quick")})
    _run(runner)
    started = time.perf_counter()
    again, quick = _run(runner)
    assert time.perf_counter() - started < 0.1  # nothing left to wait for but the quick check
    assert again.status == HealthStatus.DOWN
    assert re.fullmatch(r"still waiting for the previous check, started \d+ s ago", again.reason)
    assert again.latency_ms is None and quick.status == HealthStatus.UP
    assert slow.started == 1

    slow.release.set()
    _join_health_threads()
    assert _run(runner)[0].reason == "answered at last"
    assert slow.started == 2


def test_a_check_that_raises_is_down_and_logged(caplog):
    def broken(timeout: float) -> Health:
        raise ZeroDivisionError("division by zero")

    with caplog.at_level(logging.ERROR, logger="monitoring.health"):
        [result] = _run(HealthRunner({"broken": broken}))
    assert (result.status, result.reason) == (HealthStatus.DOWN, "check failed: ZeroDivisionError")
    assert result.latency_ms is not None
    assert "Traceback" in caplog.text and "ZeroDivisionError" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_check_closes_the_database_connection_of_its_thread():
    closed_in = []

    def queries(timeout: float) -> Health:
        connection = connections["default"]
        connection.ensure_connection()
        close = connection.close

        def spy() -> None:
            # (Closing an in-memory SQLite test database is a no-op, so watch the call.)
            closed_in.append(threading.current_thread().name)
            close()

        connection.close = spy
        return Health("db", HealthStatus.UP, 1.0, "fine")

    _run(HealthRunner({"db": queries}))
    assert closed_in == ["health-db"]
