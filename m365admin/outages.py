"""A database outage answered with a quick 503, not a 10 s wait and then a bare 500.

While PostgreSQL is away, Django's psycopg pool holds each request for DB_POOL_TIMEOUT waiting
for a connection, and daphne runs views one at a time, so requests queued behind each other.
Instead: the first request that fails on the database (or finds the pool without an idle
connection) asks the database directly on a short connection (m365admin.lib.dbprobe); while it
stays unreachable, every page gets the "database unavailable" page and the API a JSON 503 at
once, the answer re-checked at most once a PROBE_EVERY. The probes (/healthz, /readyz) are
answered before this middleware (monitoring.views.probes.ProbesMiddleware).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults
from psycopg_pool import ConnectionPool, PoolTimeout

from m365admin.lib import dbprobe
from m365admin.lib.apipath import is_api

logger = logging.getLogger(__name__)

PROBE_EVERY = 1.0  # seconds an answer of the database (reachable or not) is believed
PROBE_TIMEOUT = 2  # seconds a probe's connection attempt may take
RETRY_AFTER = 5  # seconds, told to clients in Retry-After


class _DatabaseState:
    """What this process last learnt about the database, shared by its request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down = False
        self._checked = float("-inf")

    def suspected(self) -> bool:
        """Down at the last look, or the pool has no idle connection to hand out (a request
        would wait for a new one, which takes the pool's timeout when the database is away)."""
        return self._down or _pool_has_no_idle_connection()

    def down(self, fresh: bool = False) -> bool:
        """Whether the database is unreachable; asked again when the last answer is older than
        PROBE_EVERY (or `fresh`). One thread probes, the others wait for its answer."""
        with self._lock:
            if not fresh and time.monotonic() - self._checked < PROBE_EVERY:
                return self._down
            error = dbprobe.unreachable(PROBE_TIMEOUT)
            if (error is not None) != self._down:
                if error is not None:
                    logger.error("database unreachable, answering 503: %s", error)
                else:
                    logger.warning("database reachable again")
                    _drop_broken_pool_connections()
            self._down = error is not None
            self._checked = time.monotonic()
            return self._down


database = _DatabaseState()


def _pool() -> ConnectionPool | None:
    return getattr(connection, "pool", None)  # PostgreSQL with OPTIONS["pool"] only


def _pool_has_no_idle_connection() -> bool:
    pool = _pool()
    return pool is not None and pool.get_stats().get("pool_available", 0) == 0


def _drop_broken_pool_connections() -> None:
    # Idle connections from before the outage are dead, and the pool hands them out unchecked
    # (CONN_HEALTH_CHECKS is off: a round trip per request): the first requests after the
    # database came back would fail on them.
    pool = _pool()
    if pool is not None:
        pool.check()


class DatabaseOutageMiddleware:
    """Answers 503 without touching the pool while the database is known to be unreachable.

    Before IPRulesMiddleware and sessions, which read the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if database.suspected() and database.down():
            return database_unavailable(request)
        return self.get_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that went away during the request gets the 503 page; any other
    error Django's own 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError) and isinstance(error.__cause__, PoolTimeout):
        return database_unavailable(request)  # queued for a connection until the pool gave up
    if isinstance(error, (OperationalError, InterfaceError)) and database.down(fresh=True):
        return database_unavailable(request)
    return defaults.server_error(request)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 for pages (templates/503.html) and the API (JSON), in the visitor's language.

    Rendered without the request's context (no user, no session: both live in the database).
    """
    headers = {"Retry-After": str(RETRY_AFTER)}
    with translation.override(translation.get_language_from_request(request)):
        if is_api(request):
            return JsonResponse({"detail": _("The database is unavailable. Try again shortly.")},
                                status=503, headers=headers)
        return HttpResponse(render_to_string("503.html"), status=503, headers=headers)
