"""check_all(): the real checks together, bounded by one timeout."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from m365admin.choices import Component, HealthStatus
from m365admin.workers import heartbeat
from monitoring.health import check_all

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _no_check_left_running():
    # The runner remembers checks still in flight; the next test must not see them.
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("health-"):
            thread.join(5)


def test_all_are_up_in_component_order(live_server, settings):
    heartbeat("worker-1")  # the queue is down without a live worker
    settings.HEALTH_API_URL = live_server.url + "/healthz"
    results = asyncio.run(check_all(TIMEOUT))
    assert [r.component for r in results] == [c.value for c in Component]
    assert {r.component: (r.status, r.reason) for r in results if r.status != HealthStatus.UP} == {}


def test_a_hanging_api_is_down_and_check_all_returns_in_about_the_timeout(settings, silent_url):
    heartbeat("worker-1")
    settings.HEALTH_API_URL = silent_url
    started = time.perf_counter()
    results = asyncio.run(check_all(TIMEOUT))
    assert time.perf_counter() - started < TIMEOUT + 0.3
    api = results[0]
    assert (api.component, api.status, api.reason) == (
        Component.API, HealthStatus.DOWN, "no answer within 0.5 s")
    assert all(r.status == HealthStatus.UP for r in results[1:])


def test_the_timeout_defaults_to_the_setting(settings, silent_url):
    settings.HEALTH_API_URL = silent_url
    settings.HEALTH_CHECK_TIMEOUT = 0.2
    results = asyncio.run(check_all())
    assert results[0].reason == "no answer within 0.2 s"
