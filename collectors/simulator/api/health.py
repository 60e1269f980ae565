"""Service health (/admin/serviceAnnouncement/...), /subscribedSkus and /organization."""

from __future__ import annotations

import re
from typing import Any

from ..odata import matches
from ..wire import SimResponse
from .common import ApiError, Ctx, bad_request, parse_filter_option, parse_top

_DEFAULT_PAGE = 100
_MAX_PAGE = 1000
_MAX_EXPAND = 20


def _page_size(ctx: Ctx) -> tuple[int, dict[str, str]]:
    """`Prefer: odata.maxpagesize` (clamped to 1000) or $top; default 100."""
    prefer = ctx.request.header("prefer") or ""
    match = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer, re.IGNORECASE)
    if match:
        size = max(1, min(int(match.group(1)), _MAX_PAGE))
        return size, {"Preference-Applied": f"odata.maxpagesize={size}"}
    return parse_top(ctx, _DEFAULT_PAGE, _MAX_PAGE), {}


def _skip(ctx: Ctx) -> int:
    text = ctx.query.get("$skip", "0")
    if not text.isdigit():
        raise bad_request(f"Invalid value '{text}' for $skip.")
    return int(text)


def _issues_for(ctx: Ctx, service: str) -> list[dict[str, Any]]:
    return [i for i in ctx.tenant.issues if i["service"] == service][:_MAX_EXPAND]


def _overview(ctx: Ctx, service: dict[str, Any], expand: bool) -> dict[str, Any]:
    item = dict(service)
    if expand:
        item["issues"] = _issues_for(ctx, service["service"])
    return item


def _expand(ctx: Ctx) -> bool:
    text = ctx.query.get("$expand")
    if text is None:
        return False
    if text.strip().lower() != "issues":
        raise bad_request(f"Could not find a navigation property named '{text}'.")
    return True


def _skip_paged(ctx: Ctx, items: list[dict[str, Any]], context: str) -> SimResponse:
    size, headers = _page_size(ctx)
    skip = _skip(ctx)
    body: dict[str, Any] = {"@odata.context": context}
    if skip + size < len(items):
        body["@odata.nextLink"] = ctx.next_link("$skip", skip + size)
    body["value"] = items[skip:skip + size]
    return ctx.ok(body, headers=headers)


def health_overviews(ctx: Ctx) -> SimResponse:
    expand = _expand(ctx)
    items = [_overview(ctx, s, expand) for s in ctx.tenant.health]
    fragment = "admin/serviceAnnouncement/healthOverviews" + ("(issues())" if expand else "")
    return _skip_paged(ctx, items, ctx.context_url(fragment))


def health_overview(ctx: Ctx, name: str) -> SimResponse:
    service = next((s for s in ctx.tenant.health if s["id"].lower() == name.lower()), None)
    if service is None:
        raise ApiError(404, "NotFound", f"Service '{name}' not found.")
    body = _overview(ctx, service, _expand(ctx))
    return ctx.ok({"@odata.context": ctx.context_url(
        "admin/serviceAnnouncement/healthOverviews/$entity"), **body})


def issues(ctx: Ctx) -> SimResponse:
    node = parse_filter_option(ctx)
    items = [i for i in ctx.tenant.issues if node is None or matches(node, i)]
    return _skip_paged(ctx, items, ctx.context_url("admin/serviceAnnouncement/issues"))


def issue(ctx: Ctx, issue_id: str) -> SimResponse:
    found = next((i for i in ctx.tenant.issues if i["id"].lower() == issue_id.lower()), None)
    if found is None:
        raise ApiError(404, "NotFound", f"Issue '{issue_id}' not found.")
    return ctx.ok({"@odata.context": ctx.context_url("admin/serviceAnnouncement/issues/$entity"),
                   **found})


def subscribed_skus(ctx: Ctx) -> SimResponse:
    if "$filter" in ctx.query:
        raise bad_request("Query option '$filter' is not supported on subscribedSkus.",
                          "Request_UnsupportedQuery")
    skus = ctx.tenant.subscribed_skus()
    text = ctx.query.get("$select")
    if text:
        chosen = [p.strip() for p in text.split(",") if p.strip()]
        unknown = [p for p in chosen if p not in skus[0]] if skus else []
        if unknown:
            raise bad_request(f"Could not find a property named '{unknown[0]}' on type "
                              "'microsoft.graph.subscribedSku'.", "Request_BadRequest")
        skus = [{k: sku[k] for k in chosen} for sku in skus]
    return ctx.ok({"@odata.context": ctx.context_url("subscribedSkus"), "value": skus})


def organization(ctx: Ctx) -> SimResponse:
    tenant = ctx.tenant
    return ctx.ok({"@odata.context": ctx.context_url("organization"), "value": [{
        "id": tenant.tenant_id, "displayName": tenant.display_name, "countryLetterCode": "JP",
        "preferredLanguage": "ja", "tenantType": "AAD",
        "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline",
                             "isDefault": True, "isInitial": True, "name": tenant.domain,
                             "type": "Managed"}],
    }]})
