"""/users, /users/$count, /users/{id}, /users/delta."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import DAY_US, iso
from ..odata import Node, matches, path_name, walk
from ..permissions import SIGN_IN_ACTIVITY
from ..tenant import DEFAULT_PROPERTIES, SINGLE_ONLY_PROPERTIES, USER_PROPERTIES
from ..wire import SimRequest, SimResponse
from .common import (
    NON_PREMIUM,
    ApiError,
    Ctx,
    bad_request,
    page_state,
    parse_filter_option,
    parse_top,
    serve_list,
    unsupported,
)

if TYPE_CHECKING:
    from ..server import GraphSimulator
    from ..tenant import SimTenant

_CANONICAL = {name.lower(): name for name in USER_PROPERTIES}
_TEXT_OPS = {"eq", "in", "startswith", "ne", "endswith"}
_FILTERABLE: dict[str, set[str]] = {
    **{name: _TEXT_OPS for name in (
        "userPrincipalName", "displayName", "mail", "givenName", "surname", "jobTitle",
        "department", "companyName", "officeLocation", "city", "country", "usageLocation",
        "employeeId", "mailNickname", "state", "preferredLanguage", "mobilePhone",
        "employeeType", "creationType", "externalUserState")},
    "id": {"eq", "in", "ne"}, "accountEnabled": {"eq", "ne"}, "userType": {"eq", "in", "ne"},
    "onPremisesSyncEnabled": {"eq", "ne"}, "createdDateTime": {"eq", "ge", "le", "in", "ne"},
    "signInActivity/lastSignInDateTime": {"eq", "ne", "ge", "le"},
    "signInActivity/lastNonInteractiveSignInDateTime": {"eq", "ne", "ge", "le"},
    "signInActivity/lastSuccessfulSignInDateTime": {"eq", "ne", "ge", "le"},
}
_LAMBDA_PATHS = {"assignedlicenses", "proxyaddresses", "othermails", "businessphones"}
_ADVANCED_HINT = ("Request with the requested query options only works through MSGraph with a "
                  "special request header: 'ConsistencyLevel: eventual' and '$count=true'")


# Query validation

def parse_user_select(ctx: Ctx, single: bool = False) -> list[str]:
    text = ctx.query.get("$select")
    if text is None:
        return list(DEFAULT_PROPERTIES)
    props = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part in SINGLE_ONLY_PROPERTIES or part.lower() in {p.lower() for p in SINGLE_ONLY_PROPERTIES}:
            if not single:
                raise ApiError(501, "NotImplemented", "This operation target is not yet supported.")
            props.append(part)
            continue
        name = _CANONICAL.get(part.lower())
        if name is None:
            raise bad_request("Parsing OData Select and Expand failed: Could not find a property "
                              f"named '{part}' on type 'microsoft.graph.user'.", "Request_BadRequest")
        props.append(name)
    return props


def check_user_filter(node: Node) -> tuple[bool, bool]:
    """Validate a users $filter; returns (needs advanced query, touches signInActivity)."""
    advanced = activity = False
    others = False
    variables = {part[3] for part in walk(node) if part[0] == "lambda"}
    for part in walk(node):
        kind = part[0]
        if kind == "not" or kind == "count":
            advanced = True
        elif kind == "lambda":
            if part[2][0].lower() not in _LAMBDA_PATHS:
                raise unsupported(f"Unsupported or invalid query filter clause specified for "
                                  f"property '{'/'.join(part[2])}' of resource 'User'.")
        elif kind in ("cmp", "in", "call"):
            op = part[1] if kind != "in" else "in"
            target = part[2] if kind == "cmp" else part[1] if kind == "in" else part[2][0]
            if kind == "call" and op == "contains":
                raise unsupported("Unsupported query: contains is not supported on users.")
            name = path_name(target)
            if name is None or target[0] == "count":
                continue
            if target[1][0] in variables:
                continue  # a lambda variable such as x/skuId
            canonical = "/".join([_CANONICAL.get(target[1][0].lower(), target[1][0]), *target[1][1:]])
            allowed = _FILTERABLE.get(canonical)
            if allowed is None or op not in allowed:
                raise unsupported(f"Unsupported or invalid query filter clause specified for "
                                  f"property '{canonical}' of resource 'User'.")
            if canonical.startswith("signInActivity/"):
                activity = True
            else:
                others = True
            if op in ("ne", "endswith") or (kind == "cmp" and part[3] == ("lit", None)):
                advanced = True
    if activity and others:
        raise unsupported("signInActivity filters cannot be combined with other properties.")
    return advanced, activity


def _require_advanced(ctx: Ctx, advanced: bool) -> bool:
    """Enforce ConsistencyLevel + $count=true; returns whether $count=true was asked."""
    count = ctx.query.get("$count", "").lower() == "true"
    if (advanced or count) and not (ctx.header_eventual() and count):
        raise unsupported(_ADVANCED_HINT)
    if "$search" in ctx.query and not ctx.header_eventual():
        raise unsupported("Request with $search query parameter only works through MSGraph with "
                          "a special request header: 'ConsistencyLevel: eventual'")
    return count


# Projection

def _filter_view(tenant: SimTenant, user: dict[str, Any]) -> dict[str, Any]:
    meta = tenant.meta.get(user["id"], {})
    stamps = {key: iso(meta[src]) if meta.get(src) else None for key, src in (
        ("lastSignInDateTime", "last_interactive"),
        ("lastNonInteractiveSignInDateTime", "last_noninteractive"),
        ("lastSuccessfulSignInDateTime", "last_success"))}
    return {**user, "signInActivity": stamps}


def project(tenant: SimTenant, user: dict[str, Any], props: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in props:
        if name == "signInActivity":
            activity = tenant.sign_in_activity(user["id"])
            if activity is not None:
                out[name] = activity
        else:
            out[name] = user.get(name)
    out.setdefault("id", user["id"])
    return out


def _context(ctx: Ctx, props: list[str], explicit: bool) -> str:
    return ctx.context_url(f"users({','.join(props)})" if explicit else "users")


# Handlers

def _matching_users(ctx: Ctx, node: Node | None) -> list[dict[str, Any]]:
    tenant = ctx.tenant
    with tenant.lock:
        users = list(tenant.users.values())
    if node is not None:
        users = [u for u in users if matches(node, _filter_view(tenant, u))]
    search = ctx.query.get("$search")
    if search:
        field, _, term = search.strip('"').partition(":")
        users = [u for u in users if term.casefold() in str(u.get(field) or "").casefold()]
    return users


def list_users(ctx: Ctx) -> SimResponse:
    state = page_state(ctx, "users")
    if state is not None:
        props = state["extra"]["props"]
        return serve_list(ctx, "users", state["items"], state["top"],
                          lambda uid: _render(ctx, uid, props), state["extra"]["context"],
                          first=state["first"], extra=state["extra"])
    if "$skip" in ctx.query:
        raise bad_request("'$skip' is not supported by the service.", "Request_BadRequest")
    props = parse_user_select(ctx)
    node = parse_filter_option(ctx)
    advanced, activity_filter = check_user_filter(node) if node is not None else (False, False)
    order = ctx.query.get("$orderby")
    if order is not None:
        field, _, direction = order.strip().partition(" ")
        if (field.lower() not in ("displayname", "userprincipalname")
                or direction.lower() not in ("", "asc", "desc")):
            raise unsupported(f"Sorting not supported for '{field}'.")
        advanced = advanced or node is not None
    count = _require_advanced(ctx, advanced)
    activity = activity_filter or "signInActivity" in props
    if activity:
        ctx.require(SIGN_IN_ACTIVITY)  # the permission is checked before the licence
    if activity and not ctx.tenant.premium:
        raise NON_PREMIUM
    top = parse_top(ctx, 100, 500 if activity else 999)
    users = _matching_users(ctx, node)
    if order is not None:
        field, _, direction = order.strip().partition(" ")
        key = _CANONICAL[field.lower()]
        users.sort(key=lambda u: str(u.get(key) or "").casefold(), reverse=direction.lower() == "desc")
    extra: dict[str, Any] = {"props": props,
                             "context": _context(ctx, props, "$select" in ctx.query)}
    return serve_list(ctx, "users", [u["id"] for u in users], top,
                      lambda uid: _render(ctx, uid, props), extra["context"], count=count,
                      extra=extra)


def _render(ctx: Ctx, user_id: str, props: list[str]) -> dict[str, Any] | None:
    user = ctx.tenant.users.get(user_id)
    return project(ctx.tenant, user, props) if user is not None else None


def count_users(ctx: Ctx) -> SimResponse:
    if not ctx.header_eventual():
        raise unsupported("Request with $count path segment only works through MSGraph with a "
                          "special request header: 'ConsistencyLevel: eventual'")
    node = parse_filter_option(ctx)
    if node is not None:
        check_user_filter(node)
    total = len(_matching_users(ctx, node))
    return SimResponse(200, body=str(total).encode(), content_type="text/plain")


def get_user(ctx: Ctx, key: str) -> SimResponse:
    props = parse_user_select(ctx, single=True)
    if "signInActivity" in props:
        ctx.require(SIGN_IN_ACTIVITY)
        if not ctx.tenant.premium:
            raise NON_PREMIUM
    user = ctx.tenant.find_user(key)
    if user is None:
        raise ApiError(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one "
                       "of its queried reference-property objects are not present.")
    body = {"@odata.context": ctx.context_url("users/$entity"), **project(ctx.tenant, user, props)}
    return ctx.ok(body)


# Delta

def _delta_ids_filter(ctx: Ctx) -> set[str] | None:
    node = parse_filter_option(ctx)
    if node is None:
        return None
    ids: set[str] = set()
    for part in walk(node):
        if part[0] in ("or", "lit", "path"):
            continue
        if part[0] == "cmp" and part[1] == "eq" and path_name(part[2]) == "id" and part[3][0] == "lit":
            ids.add(str(part[3][1]).lower())
            continue
        raise unsupported("Delta query on users supports $filter only as id eq '...' (or-ed).")
    if len(ids) > 50:
        raise unsupported("Delta query supports at most 50 ids in $filter.")
    return ids


def delta(ctx: Ctx) -> SimResponse:
    tenant, sim = ctx.tenant, ctx.sim
    minimal = "return=minimal" in (ctx.request.header("prefer") or "").replace(" ", "")
    if "$skiptoken" in ctx.query:
        found = sim.pages.get(ctx.query["$skiptoken"], tenant.tenant_id, "delta-page")
        if found is None:
            raise _sync_state_lost()
        return _delta_page(ctx, found[1], minimal)
    token = ctx.query.get("$deltatoken")
    if token is not None and token.lower() != "latest":
        found = sim.delta_links.get(token, tenant.tenant_id, "delta")
        if found is None or ctx.now_us() - found[0] > sim.delta_token_ttl_days * DAY_US:
            raise _sync_state_lost()
        link = found[1]
        version = tenant.version
        # Only selected properties are tracked: other updates don't surface.
        entries = [e for e in tenant.changes_since(link["version"])
                   if (link["ids"] is None or e[0] in link["ids"])
                   and (e[1] != "update" or e[2] & set(link["props"]))]
        state = _round(ctx, entries, link["props"], link["ids"])
        state["version"] = version
        return _delta_page(ctx, state, minimal)
    for option in ("$top", "$orderby", "$expand"):
        if option in ctx.query:
            raise unsupported(f"The query option '{option}' is not supported on users delta.")
    props = parse_user_select(ctx)
    if "signInActivity" in props:
        raise unsupported("signInActivity is not supported by users delta.")
    ids = _delta_ids_filter(ctx)
    with tenant.lock:
        version = tenant.version
        live: list[tuple[str, str, frozenset[str]]] = [
            (uid, "add", frozenset()) for uid in tenant.users if ids is None or uid in ids]
        removed: list[tuple[str, str, frozenset[str]]] = [
            (uid, kind, frozenset()) for uid, kind in tenant.tombstones()
            if ids is None or uid in ids]
    if token is not None:  # $deltatoken=latest: "sync from now", no objects
        live, removed = [], []
    state = _round(ctx, live + removed, props, ids)
    state["version"] = version
    return _delta_page(ctx, state, minimal)


def _round(ctx: Ctx, entries: list[Any], props: list[str], ids: set[str] | None) -> dict[str, Any]:
    replays = entries[: ctx.sim.delta_replays]
    return {"entries": entries + replays, "pos": 0, "props": props, "ids": ids, "version": 0}


def _delta_page(ctx: Ctx, state: dict[str, Any], minimal: bool) -> SimResponse:
    entries, pos, props = state["entries"], state["pos"], state["props"]
    size = ctx.sim.delta_page_size
    value = [item for item in (_delta_item(ctx, e, props, minimal) for e in entries[pos:pos + size])
             if item is not None]
    body: dict[str, Any] = {"@odata.context": _context(ctx, props, props != DEFAULT_PROPERTIES)}
    root = f"{ctx.root}/users/delta"
    if pos + size < len(entries):
        token = ctx.sim.pages.put(ctx.tenant.tenant_id, "delta-page", ctx.now_us(),
                                  {**state, "pos": pos + size})
        body["@odata.nextLink"] = f"{root}?$skiptoken={token}"
    else:
        token = ctx.sim.delta_links.put(ctx.tenant.tenant_id, "delta", ctx.now_us(),
                                        {"props": props, "ids": state["ids"],
                                         "version": state["version"]})
        body["@odata.deltaLink"] = f"{root}?$deltatoken={token}"
    body["value"] = value
    headers = {"Preference-Applied": "return=minimal"} if minimal else {}
    return ctx.ok(body, headers=headers)


def _delta_item(ctx: Ctx, entry: tuple[str, str, frozenset[str]], props: list[str],
                minimal: bool) -> dict[str, Any] | None:
    user_id, kind, fields = entry
    if kind in ("changed", "deleted"):
        return {"id": user_id, "@removed": {"reason": kind}}
    user = ctx.tenant.users.get(user_id)
    if user is None:
        return None
    if kind == "update" and minimal:
        changed = {name: user.get(name) for name in props if name in fields}
        return {**changed, "id": user_id}
    return project(ctx.tenant, user, props)


def _sync_state_lost() -> ApiError:
    return bad_request("The delta token is expired or invalid; a full resync is required.",
                       "syncStateNotFound")


def fresh_delta_location(sim: GraphSimulator, request: SimRequest, tenant: SimTenant | None) -> str:
    """Where a 410 on a delta link sends the client: a fresh initial delta round."""
    version = request.path.strip("/").split("/")[0]
    token = request.query.get("$deltatoken") or request.query.get("$skiptoken")
    props: list[str] | None = None
    if tenant is not None and token:
        found = (sim.delta_links.get(token, tenant.tenant_id, "delta")
                 or sim.pages.get(token, tenant.tenant_id, "delta-page"))
        props = found[1]["props"] if found else None
    base = f"{sim.base_url}/{version}/users/delta"
    if props and props != DEFAULT_PROPERTIES:
        return f"{base}?$select={','.join(props)}"
    return base

