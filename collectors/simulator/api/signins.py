"""/auditLogs/signIns (v1.0 and beta).

Served the least convenient way real Graph may serve them: newest first whatever `$orderby`
asks (Microsoft's *List signIns* page documents only `$top`, `$skiptoken` and `$filter` and
says the most recent come first), and each continuation page starts with the previous page's
last sign-in again (CONTRACT 2.3: "expect duplicates at the boundary").
"""

from __future__ import annotations

from typing import Any

from ..clock import DAY_US
from ..odata import DateLiteral, Node, conjuncts, matches, path_name, walk
from ..wire import SimResponse
from .common import NON_PREMIUM, Ctx, bad_request, page_state, parse_filter_option, parse_top

PAGE_MAX = 1000
_EQ = {"eq"}
_EQ_START = {"eq", "startswith"}
_FILTERABLE: dict[str, set[str]] = {
    **{name.lower(): _EQ for name in (
        "id", "userId", "appId", "correlationId", "clientAppUsed", "conditionalAccessStatus",
        "resourceDisplayName", "resourceId", "riskDetail", "riskLevelAggregated",
        "riskLevelDuringSignIn", "riskState", "status/errorCode", "isInteractive")},
    **{name.lower(): _EQ_START for name in (
        "appDisplayName", "userPrincipalName", "userDisplayName", "ipAddress", "location/city",
        "location/state", "location/countryOrRegion", "deviceDetail/browser",
        "deviceDetail/operatingSystem", "riskEventTypes_v2")},
    "createddatetime": {"eq", "ge", "le", "gt", "lt"},
}
_BETA_LAMBDAS = {"signineventtypes"}


def _check(node: Node, beta: bool) -> None:
    variables = {part[3] for part in walk(node) if part[0] == "lambda"}
    for part in walk(node):
        kind = part[0]
        if kind == "lambda" and not (beta and part[2][0].lower() in _BETA_LAMBDAS):
            raise bad_request(f"Invalid filter clause: property '{'/'.join(part[2])}' is not "
                              "filterable.")
        if kind not in ("cmp", "call", "in"):
            continue
        if kind == "in":
            raise bad_request("Invalid filter clause: 'in' is not supported on signIns.")
        op = part[1]
        target = part[2] if kind == "cmp" else part[2][0]
        name = path_name(target)
        if name is None or target[1][0] in variables:
            continue
        allowed = _FILTERABLE.get(name.lower())
        if allowed is None or op not in allowed:
            raise bad_request(f"Invalid filter clause: '{op}' on property '{name}' is not "
                              "supported.")
        if name.lower() == "createddatetime" and not isinstance(part[3][1], DateLiteral):
            # Graph wants an unquoted DateTimeOffset; a quoted string is a type mismatch.
            raise bad_request("Invalid filter clause: The types 'Edm.DateTimeOffset' and "
                              "'Edm.String' are not compatible.")


def _bounds(node: Node | None) -> tuple[int | None, int | None, Node | None]:
    """Top-level createdDateTime bounds (served from the index) and the residual predicate."""
    lo: int | None = None
    hi: int | None = None
    rest: list[Node] = []
    for part in conjuncts(node) if node is not None else []:
        if (part[0] == "cmp" and path_name(part[2]) and path_name(part[2]).lower() == "createddatetime"  # type: ignore[union-attr]
                and isinstance(part[3][1], DateLiteral)):
            at = part[3][1].us
            op = part[1]
            if op in ("ge", "gt", "eq"):
                lo = max(lo if lo is not None else at, at + (1 if op == "gt" else 0))
            if op in ("le", "lt", "eq"):
                hi = min(hi if hi is not None else at, at - (1 if op == "lt" else 0))
            continue
        rest.append(part)
    residual: Node | None = None
    for part in rest:
        residual = part if residual is None else ("and", residual, part)
    return lo, hi, residual


def list_signins(ctx: Ctx) -> SimResponse:
    if not ctx.tenant.premium:
        raise NON_PREMIUM
    stream = ctx.tenant.signins
    state = page_state(ctx, "signins")
    if state is None:
        top = parse_top(ctx, PAGE_MAX, PAGE_MAX)
        node = parse_filter_option(ctx)
        if node is not None:
            _check(node, ctx.beta)
        order = (ctx.query.get("$orderby") or "createdDateTime desc").strip().split()
        if order[0].lower() != "createddatetime" or len(order) > 2 or (
                len(order) == 2 and order[1].lower() not in ("asc", "desc")):
            raise bad_request("Invalid $orderby: only createdDateTime asc|desc is supported.")
        lo, hi, residual = _bounds(node)
        now = ctx.now_us()
        floor = now - ctx.sim.retention_days * DAY_US
        lo = floor if lo is None else max(lo, floor)
        hi = now if hi is None else min(hi, now)
        state = {"cursor": stream.cursor(lo, hi, desc=True), "top": top, "filter": residual,
                 "repeat": None}
    cursor = {**state["cursor"], "bounds": [list(b) for b in state["cursor"]["bounds"]]}
    residual = state["filter"]
    keep = (lambda item: matches(residual, item)) if residual is not None else None
    top = state["top"]
    repeat = [state["repeat"]] if state["repeat"] is not None else []
    items, done = stream.take(cursor, ctx.beta, top - len(repeat), max(20_000, top * 20), keep)
    items = repeat + items
    body: dict[str, Any] = {"@odata.context": ctx.context_url("auditLogs/signIns")}
    if not done:
        token = ctx.sim.pages.put(ctx.tenant.tenant_id, "signins", ctx.now_us(), {
            **state, "cursor": cursor, "repeat": items[-1] if items and top > 1 else None})
        body["@odata.nextLink"] = ctx.next_link("$skiptoken", token)
    body["value"] = items
    return ctx.ok(body)
