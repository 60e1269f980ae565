"""Probes for load balancers and orchestrators: no sign-in, no secrets, no stack traces."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from monitoring.health.cache import cache_round_trip
from monitoring.health.database import select_one

logger = logging.getLogger("monitoring.health")


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: this process serves requests. Touches nothing else, so a database outage
    does not get every web process restarted."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@login_not_required
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and the cache answer, so requests can be served."""
    reason = _unready_reason()
    if reason is not None:
        return JsonResponse({"status": "unavailable", "reason": reason}, status=503)
    return JsonResponse({"status": "ready"})


def _unready_reason() -> str | None:
    # The caller is anonymous: it gets the failing part, the log gets the error.
    try:
        select_one()
    except DatabaseError as exc:
        logger.warning("readyz: database unavailable: %s", exc)
        return "database unavailable"
    try:
        cache_round_trip()
    except Exception as exc:  # each cache backend raises its own client's errors
        logger.warning("readyz: cache unavailable: %s", exc)
        return "cache unavailable"
    return None
