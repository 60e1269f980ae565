"""What every Graph handler shares: the request context, links, $top, $filter, paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from ..clock import US
from ..odata import FilterError, Node, parse_filter
from ..permissions import DENIED_CODE, DENIED_MESSAGE
from ..wire import SimRequest, SimResponse

if TYPE_CHECKING:
    from ..server import GraphSimulator
    from ..tenant import SimTenant

_CONTINUATION = {"$skiptoken", "$skip", "$deltatoken"}
_SAFE = ",'()$:/"  # keep links readable, like Graph's


class ApiError(Exception):
    """Raised by handlers to answer with a Graph error envelope."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def unsupported(message: str) -> ApiError:
    return ApiError(400, "Request_UnsupportedQuery", message)


def bad_request(message: str, code: str = "BadRequest") -> ApiError:
    return ApiError(400, code, message)


NON_PREMIUM = ApiError(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                       "Neither tenant is B2C or tenant doesn't have premium license")


@dataclass
class Ctx:
    sim: GraphSimulator
    request: SimRequest
    tenant: SimTenant
    version: str
    sub: str
    roles: frozenset[str] = frozenset()  # the application permissions the token carries

    def require(self, permissions: frozenset[str]) -> None:
        """403 Authorization_RequestDenied unless the token holds one of `permissions`."""
        if not self.roles & permissions:
            raise ApiError(403, DENIED_CODE, DENIED_MESSAGE)

    @property
    def beta(self) -> bool:
        return self.version == "beta"

    @property
    def root(self) -> str:
        return f"{self.sim.base_url}/{self.version}"

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    def ok(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> SimResponse:
        return SimResponse(status, json=body, headers=dict(headers or {}))

    def context_url(self, fragment: str) -> str:
        return f"{self.root}/$metadata#{fragment}"

    def next_link(self, name: str, value: str | int, keep_options: bool = True) -> str:
        """This request's URL with its continuation option replaced (Graph's nextLinks carry
        the original options; clients must follow them verbatim)."""
        pairs = [(k, v) for k, v in parse_qsl(self.request.raw_query, keep_blank_values=True)
                 if keep_options and k.lower().lstrip("$") not in {c[1:] for c in _CONTINUATION}]
        pairs.append((name, str(value)))
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=_SAFE)}" for k, v in pairs)
        return f"{self.root}{self.sub}?{query}"

    def header_eventual(self) -> bool:
        return (self.request.header("consistencylevel") or "").strip().lower() == "eventual"

    def now_us(self) -> int:
        return self.sim.now_us


def parse_top(ctx: Ctx, default: int, maximum: int) -> int:
    """$top clamped to the API's maximum; non-numbers and values below 1 are rejected."""
    text = ctx.query.get("$top")
    if text is None:
        return default
    try:
        top = int(text)
    except ValueError:
        raise bad_request(f"Invalid page size specified: '{text}'. Must be an integer.",
                          "Request_BadRequest") from None
    if top < 1:
        raise bad_request(f"Invalid page size specified: '{text}'. Must be between 1 and "
                          f"{maximum} inclusive.", "Request_BadRequest")
    return min(top, maximum)


def parse_filter_option(ctx: Ctx) -> Node | None:
    text = ctx.query.get("$filter")
    if text is None:
        return None
    if not text.strip():
        raise bad_request("Invalid filter clause: The query specified in the URI is not valid.")
    try:
        return parse_filter(text)
    except FilterError as exc:
        raise bad_request(f"Invalid filter clause: {exc}") from None


def page_state(ctx: Ctx, kind: str) -> Any | None:
    """The stored state behind this request's `$skiptoken`, None for a first page."""
    token = ctx.query.get("$skiptoken")
    if token is None:
        return None
    found = ctx.sim.pages.get(token, ctx.tenant.tenant_id, kind)
    if found is None:
        raise bad_request("The specified page token value is invalid or has expired.",
                          "Directory_ExpiredPageToken")
    created, state = found
    if ctx.now_us() - created > ctx.sim.page_token_ttl_s * US:
        raise bad_request("The specified page token value has expired and can no longer be "
                          "included in your request.", "Directory_ExpiredPageToken")
    return state


def serve_list(ctx: Ctx, kind: str, items: list[Any], top: int, render: Callable[[Any], Any],
               context: str | None, count: bool = False, first: int = 0,
               extra: Any = None) -> SimResponse:
    """One page of a precomputed result list, continuing with a server-side `$skiptoken`."""
    page = [rendered for rendered in map(render, items[first:first + top]) if rendered is not None]
    body: dict[str, Any] = {}
    if context:
        body["@odata.context"] = context
    if count and first == 0:
        body["@odata.count"] = len(items)
    if first + top < len(items):
        token = ctx.sim.pages.put(ctx.tenant.tenant_id, kind, ctx.now_us(),
                                  {"items": items, "first": first + top, "top": top,
                                   "extra": extra})
        body["@odata.nextLink"] = ctx.next_link("$skiptoken", token)
    body["value"] = page
    return ctx.ok(body)


def select_fields(ctx: Ctx, available: list[str]) -> list[str]:
    text = ctx.query.get("$select")
    if text is None:
        return available
    lookup = {name.lower(): name for name in available}
    chosen = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part.lower() not in lookup:
            raise bad_request(f"Parsing OData Select and Expand failed: Could not find a property "
                              f"named '{part}'.")
        chosen.append(lookup[part.lower()])
    return chosen


def paged_list(ctx: Ctx, kind: str, items: list[dict[str, Any]], fields: list[str],
               context: str | None, default: int, maximum: int) -> SimResponse:
    """A directory-object list: `$select` over `fields`, `$top` up to `maximum`, `$count`
    with ConsistencyLevel, continued by `$skiptoken` (the selection rides in the page state)."""
    state = page_state(ctx, kind)
    if state is not None:
        chosen = state["extra"]
        return serve_list(ctx, kind, state["items"], state["top"],
                          lambda item: {k: item.get(k) for k in chosen}, context,
                          first=state["first"], extra=chosen)
    chosen = select_fields(ctx, fields)
    top = parse_top(ctx, default, maximum)
    count = ctx.query.get("$count", "").lower() == "true"
    if count and not ctx.header_eventual():
        raise unsupported("$count requires the header 'ConsistencyLevel: eventual'.")
    return serve_list(ctx, kind, items, top, lambda item: {k: item.get(k) for k in chosen},
                      context, count=count, extra=chosen)
