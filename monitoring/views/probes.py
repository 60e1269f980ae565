"""Probes for load balancers and orchestrators: no sign-in, no secrets, no stack traces.

Answered by ProbesMiddleware before sessions and authentication: a probe carrying a session
cookie would otherwise load its session from the database, and fail with it.
"""

from __future__ import annotations

import asyncio
import logging
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from m365admin.choices import Component, HealthStatus
from m365admin.lib import dbprobe
from m365admin.lib.health import Health, error_text, ms_since
from monitoring.health.cache import cache_round_trip
from monitoring.health.runner import HealthRunner

logger = logging.getLogger("monitoring.health")

PROBES = frozenset({"/healthz", "/readyz"})


class ProbesMiddleware:
    """Serves the probes' views directly, ahead of every middleware that reads the session,
    the IP rules or the database. Right after WhiteNoise."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in PROBES:
            return self.get_response(request)
        request.resolver_match = match = resolve(request.path_info)  # request statistics' route
        return match.func(request, *match.args, **match.kwargs)


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: this process serves requests. Touches nothing else (no database, session or
    cache), so an outage of either does not get every web process restarted."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@login_not_required
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and the cache answer, both asked at once, within
    HEALTH_CHECK_TIMEOUT. The caller is anonymous: it learns which failed, the log why."""
    results = asyncio.run(_readiness.run(settings.HEALTH_CHECK_TIMEOUT))
    failed = [result.component for result in results if result.status == HealthStatus.DOWN]
    if failed:
        for result in results:
            if result.status == HealthStatus.DOWN:
                logger.warning("readyz: %s unavailable: %s", result.component, result.reason)
        return JsonResponse({
            "status": "unavailable",
            "reason": " and ".join(failed) + " unavailable",
            "failed": failed,
        }, status=503)
    return JsonResponse({"status": "ready"})


def _database(timeout: float) -> Health:
    # A connection of its own with a connect timeout: the pool would queue this for 10 s.
    started = time.perf_counter()
    error = dbprobe.unreachable(timeout)
    if error is not None:
        return Health(Component.DATABASE, HealthStatus.DOWN, ms_since(started), error_text(error))
    return Health(Component.DATABASE, HealthStatus.UP, ms_since(started), "SELECT 1")


def _cache(timeout: float) -> Health:
    # Bounded by the Redis client's own timeouts (settings.REDIS_CACHE_TIMEOUT) and the runner.
    started = time.perf_counter()
    try:
        cache_round_trip()
    except Exception as exc:  # each cache backend raises its own client's errors
        return Health(Component.CACHE, HealthStatus.DOWN, ms_since(started), error_text(exc))
    return Health(Component.CACHE, HealthStatus.UP, ms_since(started), "round trip")


# A hung dependency is not asked again until its previous check ends: probes arriving every
# second cannot pile up threads.
_readiness = HealthRunner({Component.DATABASE: _database, Component.CACHE: _cache})
