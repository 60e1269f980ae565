"""Graph routing: authenticate the bearer token, find the handler, map ApiError to envelopes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from .. import permissions as perms
from ..wire import SimRequest, SimResponse
from . import batch, health, reports, signins, subscriptions, teams, users
from .common import ApiError, Ctx
from .reports import download_report

if TYPE_CHECKING:
    from ..server import GraphSimulator

__all__ = ["dispatch_graph", "download_report"]

Handler = Callable[..., SimResponse]
# (method, path, handler, the permissions of which the token must hold one; None: no check).
# The handlers' signatures differ, so mypy joins them to `function` [misc].
_ROUTES: list[tuple[str, re.Pattern[str], Handler | None, frozenset[str] | None]] = [
    (method, re.compile(pattern, re.IGNORECASE), handler, needs)  # type: ignore[misc]
    for method, pattern, handler, needs in [
        ("GET", r"/users", users.list_users, perms.USERS),
        ("GET", r"/users/\$count", users.count_users, perms.USERS),
        ("GET", r"/users/delta(?:\(\))?", users.delta, perms.USERS),
        ("GET", r"/users/(?P<key>[^/]+)", users.get_user, perms.USERS),
        ("GET", r"/auditLogs/signIns", signins.list_signins, perms.AUDIT_LOGS),
        ("GET", r"/reports/(?P<name>get\w+)\((?P<argument>[^)]*)\)", reports.report,
         perms.REPORTS),
        ("GET", r"/admin/reportSettings", reports.report_settings, perms.REPORT_SETTINGS),
        ("GET", r"/teams", teams.list_teams, perms.TEAMS),
        ("GET", r"/teams/(?P<team_id>[^/]+)", teams.get_team, perms.TEAMS),
        ("GET", r"/teams/(?P<team_id>[^/]+)/members", teams.team_members, perms.TEAM_MEMBERS),
        ("GET", r"/groups", teams.list_groups, perms.GROUPS),
        ("GET", r"/groups/(?P<group_id>[^/]+)", teams.get_group, perms.GROUPS),
        ("GET", r"/admin/serviceAnnouncement/healthOverviews", health.health_overviews,
         perms.SERVICE_HEALTH),
        ("GET", r"/admin/serviceAnnouncement/healthOverviews/(?P<name>[^/]+)",
         health.health_overview, perms.SERVICE_HEALTH),
        ("GET", r"/admin/serviceAnnouncement/issues", health.issues, perms.SERVICE_HEALTH),
        ("GET", r"/admin/serviceAnnouncement/issues/(?P<issue_id>[^/]+)", health.issue,
         perms.SERVICE_HEALTH),
        ("GET", r"/subscribedSkus", health.subscribed_skus, perms.ORGANIZATION),
        ("GET", r"/directory/subscriptions", subscriptions.list_subscriptions,
         perms.SUBSCRIPTIONS),
        ("GET", r"/organization", health.organization, perms.ORGANIZATION),
        # Bound below: it re-enters dispatch for inner requests, each checked on its own.
        ("POST", r"/\$batch", None, None),
    ]
]
_RESOURCE_UNITS = {"users": 2, "subscribedskus": 3}


def dispatch_graph(sim: GraphSimulator, request: SimRequest, version: str, sub: str) -> SimResponse:
    try:
        response = _dispatch(sim, request, version, sub)
    except ApiError as exc:
        response = sim.graph_error(request, exc.status, exc.code, exc.message, headers=exc.headers)
    if response.json is not None:
        response.headers.setdefault("OData-Version", "4.0")
        response.headers.setdefault("Cache-Control", "no-cache")
    return response


def _authenticate(sim: GraphSimulator, request: SimRequest) -> Ctx | ApiError:
    header = request.header("authorization") or ""
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'}
    if not header:
        return ApiError(401, "InvalidAuthenticationToken", "Access token is empty.", challenge)
    found, expired = sim.tokens.lookup(token.strip()) if scheme.lower() == "bearer" else (None, False)
    if found is None:
        return ApiError(401, "InvalidAuthenticationToken",
                        "IDX14100: JWT is not well formed, there are no dots (.).", challenge)
    if expired:
        return ApiError(401, "InvalidAuthenticationToken",
                        "Access token has expired or is not yet valid.", challenge)
    return Ctx(sim, request, sim.tenant(found.tenant_id), "", "", found.roles)


def _dispatch(sim: GraphSimulator, request: SimRequest, version: str, sub: str) -> SimResponse:
    auth = _authenticate(sim, request)
    if isinstance(auth, ApiError):
        raise auth
    names = [k.lower().lstrip("$") for k, _ in parse_qsl(request.raw_query, keep_blank_values=True)]
    duplicate = next((n for n in names if n.startswith(("select", "filter", "top", "skiptoken",
                                                         "count", "orderby", "expand", "search"))
                      and names.count(n) > 1), None)
    if duplicate:
        raise ApiError(400, "BadRequest", f"Query option '${duplicate}' was specified more than "
                       "once, but it must be specified at most once.")
    path = sub.rstrip("/") or "/"
    ctx = Ctx(sim, request, auth.tenant, version, path, auth.roles)
    allowed = []
    for method, pattern, handler, needs in _ROUTES:
        match = pattern.fullmatch(path)
        if not match:
            continue
        if method != request.method:
            allowed.append(method)
            continue
        if needs is not None:
            ctx.require(needs)
        if handler is None:
            return batch.run_batch(ctx, lambda inner, v, s: dispatch_graph(sim, inner, v, s))
        response = handler(ctx, **match.groupdict())
        units = _RESOURCE_UNITS.get(path.strip("/").split("/")[0].lower())
        if units and response.status < 400:
            response.headers["x-ms-resource-unit"] = str(max(1, units - ("$select" in ctx.query)))
        return response
    if allowed:
        raise ApiError(405, "Request_BadRequest",
                       "Specified HTTP method is not allowed for the request target.")
    segment = next((s for s in path.split("/") if s), version)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
