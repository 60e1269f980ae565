"""API: our own /healthz over real HTTP, as a load balancer would see it."""

from __future__ import annotations

import time

import requests
from django.conf import settings

from m365admin import serving
from m365admin.choices import Component, HealthStatus
from m365admin.lib.health import Health, ms, ms_since
from m365admin.lib.transport import describe_exception
from m365admin.registry.health import health_check
from m365admin.texts import Message, message


@health_check(Component.API)
def check(timeout: float) -> Health:
    url = serving.healthz_url()
    started = time.perf_counter()
    try:
        with requests.Session() as session:
            # Ignore HTTP_PROXY and friends: the request must reach this server, not a proxy.
            session.trust_env = False
            response = session.get(url, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return _down(started, message("health.no_answer", seconds=f"{timeout:g}"), url)
    except requests.RequestException as exc:
        return _down(started, message("health.api.unreachable", error=describe_exception(exc)),
                         url)
    latency = ms_since(started)
    details = {"url": url, "status_code": response.status_code}
    if response.status_code != 200:
        return Health(Component.API, HealthStatus.DOWN, latency,
                      message("health.api.status", status=response.status_code), details)
    if latency > settings.HEALTH_SLOW_MS:
        return Health(Component.API, HealthStatus.DEGRADED, latency,
                      message("health.api.slow", ms=ms(latency), limit=ms(settings.HEALTH_SLOW_MS)),
                      details)
    return Health(Component.API, HealthStatus.UP, latency, message("health.api.up", ms=ms(latency)),
                  details)


def _down(started: float, reason: Message, url: str) -> Health:
    return Health(Component.API, HealthStatus.DOWN, ms_since(started), reason, {"url": url})
