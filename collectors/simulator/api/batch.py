"""POST /$batch: up to 20 inner requests, dependsOn with 424, responses in shuffled order."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from typing import Any

import msgspec

from ..wire import SimRequest, SimResponse, error_body
from .common import Ctx, bad_request

MAX_REQUESTS = 20
Dispatch = Callable[[SimRequest, str, str], SimResponse]


def _validate(body: bytes) -> list[dict[str, Any]]:
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise bad_request("Invalid batch payload format.") from None
    requests = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(requests, list) or not requests:
        raise bad_request("Invalid batch payload format: 'requests' must be a non-empty array.")
    if len(requests) > MAX_REQUESTS:
        raise bad_request(f"Number of batch requests in a batch exceeds {MAX_REQUESTS}.")
    seen: set[str] = set()
    for item in requests:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("id", "method", "url")):
            raise bad_request("Every batch request needs string 'id', 'method' and 'url'.")
        if item["id"].lower() in seen:
            raise bad_request(f"Batch request contains duplicate id '{item['id']}'.")
        seen.add(item["id"].lower())
        if "body" in item and not any(k.lower() == "content-type" for k in item.get("headers") or {}):
            raise bad_request(f"Batch request '{item['id']}' has a body but no Content-Type header.")
    for item in requests:
        for dep in item.get("dependsOn") or []:
            if str(dep).lower() not in seen:
                raise bad_request(f"Batch request '{item['id']}' depends on unknown id '{dep}'.")
    return requests


def run_batch(ctx: Ctx, dispatch: Dispatch) -> SimResponse:
    requests = _validate(ctx.request.body)
    statuses: dict[str, int] = {}
    responses = []
    for item in requests:
        failed = [d for d in item.get("dependsOn") or [] if statuses.get(str(d).lower(), 424) >= 400]
        if failed:
            inner = SimRequest(item["method"].upper(), "/", {})
            status, headers = 424, {"Content-Type": "application/json"}
            body: Any = error_body("FailedDependency", f"The dependency '{failed[0]}' failed.",
                                   inner, ctx.sim.now.strftime("%Y-%m-%dT%H:%M:%S"))
        else:
            status, headers, body = _run(ctx, item, dispatch)
        statuses[item["id"].lower()] = status
        entry: dict[str, Any] = {"id": item["id"], "status": status, "headers": headers}
        if body is not None:
            entry["body"] = body
        responses.append(entry)
    return ctx.ok({"responses": _shuffled(responses)})


def _run(ctx: Ctx, item: dict[str, Any], dispatch: Dispatch) -> tuple[int, dict[str, str], Any]:
    url = item["url"]
    method = item["method"].upper()
    headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    for name in ("authorization", "client-request-id"):
        if ctx.request.header(name):
            headers.setdefault(name, ctx.request.header(name) or "")
    raw_body = item.get("body")
    body = (raw_body.encode() if isinstance(raw_body, str)
            else msgspec.json.encode(raw_body) if raw_body is not None else b"")
    target = f"/{ctx.version}/{url.lstrip('/')}"
    inner = SimRequest(method, target, headers, body)
    if url.lower().startswith(("http://", "https://")) or inner.path.lower().endswith("/$batch"):
        response = ctx.sim.graph_error(inner, 400, "BadRequest",
                                       "Invalid request URL: batch URLs must be relative.")
    else:
        fired = ctx.sim.faults.take(method, inner.decoded_target, ctx.tenant.tenant_id,
                                    ("batch_item_status",), item_id=item["id"])
        if fired:
            response = _throttled(ctx, inner, fired[0].status or 429, fired[0].retry_after)
        else:
            response = dispatch(inner, ctx.version, inner.path[len(ctx.version) + 1:] or "/")
    out_headers = {"Cache-Control": "no-cache", **response.headers}
    if response.content_type and (response.json is not None or response.body):
        out_headers["Content-Type"] = response.content_type
    if response.json is not None:
        return response.status, out_headers, response.json
    if response.body:
        return response.status, out_headers, response.body.decode("utf-8", "replace")
    return response.status, out_headers, None


def _throttled(ctx: Ctx, inner: SimRequest, status: int, retry_after: str | None) -> SimResponse:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    if status == 429:
        return ctx.sim.graph_error(inner, 429, "TooManyRequests", "Please retry again later.",
                                   {"code": "429", "message": "Please retry after",
                                    "status": "429"}, headers)
    return ctx.sim.graph_error(inner, status, "serviceNotAvailable",
                               "The service is temporarily unavailable.", headers=headers)


def _shuffled(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deterministic permutation that never keeps the request order (for 2+ items), so
    clients must correlate by id."""
    order = list(responses)
    seed = zlib.crc32(",".join(r["id"] for r in responses).encode())
    random.Random(seed).shuffle(order)
    if len(order) > 1 and [r["id"] for r in order] == [r["id"] for r in responses]:
        order = order[1:] + order[:1]
    return order
