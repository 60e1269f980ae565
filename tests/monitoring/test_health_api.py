"""The API check: a real HTTP GET of our own /healthz."""

from __future__ import annotations

import socket
import time

import pytest

from m365admin.choices import Component, HealthStatus
from monitoring.health import api

TIMEOUT = 0.5


@pytest.fixture
def closed_url():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/healthz"


def test_it_is_up_when_healthz_answers(live_server, settings):
    settings.HEALTH_API_URL = live_server.url + "/healthz"
    health = api.check(TIMEOUT)
    assert (health.component, health.status) == (Component.API, HealthStatus.UP)
    assert health.reason.startswith("200 in ") and health.latency_ms > 0
    assert health.details == {"url": settings.HEALTH_API_URL, "status_code": 200}


def test_it_is_degraded_when_slower_than_the_threshold(live_server, settings):
    settings.HEALTH_API_URL = live_server.url + "/healthz"
    settings.HEALTH_SLOW_MS = 0.001
    health = api.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert "slower than 0.0 ms" in health.reason


def test_it_is_down_on_a_status_other_than_200(live_server, settings):
    settings.HEALTH_API_URL = live_server.url + "/no-such-page"
    health = api.check(TIMEOUT)
    assert health.status == HealthStatus.DOWN
    assert health.reason == "API answered HTTP 404"


def test_it_is_down_when_nothing_listens(settings, closed_url):
    settings.HEALTH_API_URL = closed_url
    health = api.check(TIMEOUT)
    assert health.status == HealthStatus.DOWN
    assert health.reason == "API unreachable: [Errno 111] Connection refused"


def test_it_is_down_within_the_timeout_when_the_server_never_answers(settings, silent_url):
    settings.HEALTH_API_URL = silent_url
    started = time.perf_counter()
    health = api.check(TIMEOUT)
    assert time.perf_counter() - started < TIMEOUT + 0.3
    assert health.status == HealthStatus.DOWN
    assert health.reason == "no answer within 0.5 s"
