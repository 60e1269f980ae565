"""GraphClient: authenticated, retried, breaker-guarded calls to Microsoft Graph for one tenant."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import msgspec
import requests

from m365admin.texts import message

from .auth import TokenProvider
from .breaker import CircuitBreakers
from .config import GraphConfig
from .errors import GraphDamagedBody, GraphMalformedResponse, error_from_response
from .http import PROCESS_LIMITER, HttpTransport, Limiter, MsalHttpClient, with_query
from .retry import DEFAULT_MAX_ATTEMPTS, RETRY_STATUSES, Sender, header
from .stats import GraphStats

logger = logging.getLogger(__name__)


BATCH_LIMIT = 20  # Graph rejects a $batch holding more
_VERSIONS = frozenset({"v1.0", "beta"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A 200 whose body came cut off or as an HTML page is asked for this many times in all.
DAMAGED_BODY_ATTEMPTS = 3


class _Envelope[T](msgspec.Struct):
    """A collection response decoded straight into typed items (only their declared fields)."""

    value: list[T]
    next_link: str | None = msgspec.field(name="@odata.nextLink", default=None)
    delta_link: str | None = msgspec.field(name="@odata.deltaLink", default=None)
    count: int | None = msgspec.field(name="@odata.count", default=None)


@dataclass(frozen=True)
class Page:
    items: list[Any]  # dicts, or instances of the item_type given to iter_pages
    next_link: str | None
    delta_link: str | None  # only on the last page of a delta round
    count: int | None  # only on the first page, and only when $count=true was sent
    url: str


@dataclass(frozen=True)
class BatchResponse:
    status: int
    headers: dict[str, str]
    body: Any  # a Graph JSON body (dict), a base64 string, or None


class GraphClient:
    """One per tenant for the life of the process; safe to share between threads."""

    def __init__(
        self,
        config: GraphConfig,
        limiter: Limiter | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.config = config
        self.stats = GraphStats()
        self._graph_origin = _origin(config.graph_url)
        self._transport = HttpTransport(config, limiter or PROCESS_LIMITER)
        self._breakers = CircuitBreakers(config.tenant_id, time.monotonic)
        self._sender = Sender(self._transport, self._breakers, self.stats, max_attempts)
        self._tokens = TokenProvider(config, MsalHttpClient(self._sender.send))

    # Injectable time and randomness, read on every use so tests can swap them after creation.

    @property
    def sleep(self) -> Callable[[float], None]:
        return self._sender.sleep

    @sleep.setter
    def sleep(self, value: Callable[[float], None]) -> None:
        self._sender.sleep = value

    @property
    def clock(self) -> Callable[[], float]:
        return self._breakers.clock

    @clock.setter
    def clock(self, value: Callable[[], float]) -> None:
        self._breakers.clock = value

    @property
    def random(self) -> Callable[[], float]:
        """Jitter source for backoff, returning a float in [0, 1)."""
        return self._sender.random

    @random.setter
    def random(self, value: Callable[[], float]) -> None:
        self._sender.random = value

    def breaker_states(self) -> dict[str, str]:
        return self._breakers.states()

    def token(self) -> str:
        """An app-only access token (msal's cached one while valid); raises GraphAuthError."""
        return self._tokens.token()

    def close(self) -> None:
        self._transport.close()

    # Calls

    def get(
        self,
        path_or_url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        url = self._url(path_or_url, params)
        body: dict[str, Any] = self._get_json(url, headers, dict[str, Any])
        return body

    def iter_pages(
        self,
        path_or_url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        item_type: type[msgspec.Struct] | None = None,
    ) -> Iterator[Page]:
        """Follow @odata.nextLink verbatim, re-sending `headers` (ConsistencyLevel) on each page.

        With `item_type` (a msgspec Struct), items are decoded into it, skipping undeclared
        fields: several times cheaper than dicts for large pages such as sign-ins.
        """
        url: str | None = self._url(path_or_url, params)
        # A Struct parametrised at run time, which no static type can name.
        envelope = (_Envelope[item_type]  # type: ignore[valid-type]
                    if item_type is not None else _Envelope[dict[str, Any]])
        while url is not None:
            body = self._get_json(url, headers, envelope)
            yield Page(body.value, body.next_link, body.delta_link, body.count, url)
            url = body.next_link

    def batch(
        self, requests: Sequence[Mapping[str, Any]], version: str = "v1.0"
    ) -> dict[str, BatchResponse]:
        """Run Graph JSON-batch requests, 20 per POST; results keyed by request id.

        Items that came back 429/503/504 (and the 424s that depended on them) are sent again
        after the largest Retry-After among them; after `max_attempts` rounds their last answer
        is returned as is. A `dependsOn` must name an id inside the same chunk of 20.
        """
        items = [dict(item) for item in requests]
        chunks = _chunks(items)
        url = f"{self._graph_origin}/{version}/$batch"
        results: dict[str, BatchResponse] = {}
        for chunk in chunks:
            results.update(self._batch_chunk(chunk, url))
        return results

    def probe(self, path: str) -> None:
        """Whether a read is allowed: raises the GraphError Graph answered with, else returns.

        The body is not read, and a report's redirect to its download is not followed."""
        url = self._url(path, None)
        _raise_for_status(self._send("GET", url, None), url)

    def download_report(self, path: str) -> str:
        """CSV text of a usage report; the pre-authenticated download gets no bearer token."""
        url = self._url(path, None)
        response = self._send("GET", url, {"Accept": "text/csv, application/octet-stream, */*"})
        _raise_for_status(response, url)
        if response.status_code in _REDIRECTS:
            location = response.headers.get("Location")
            if not location:
                raise GraphMalformedResponse(message("graph.report.no_location"), url=url)
            # Sent without Authorization: the link carries its own credentials.
            response = self._sender.send(
                "GET", urljoin(url, location), service="reports", headers={"Accept": "*/*"}
            )
            if response.status_code != 200:
                # Report the Graph URL: the download URL itself is a secret.
                raise error_from_response(response, url)
        try:
            return response.content.decode("utf-8-sig")  # drops a UTF-8 BOM if present
        except UnicodeDecodeError as exc:
            raise GraphMalformedResponse(message("graph.report.not_utf8", error=str(exc)),
                                         url=url) from exc

    # Internals

    def on_graph_host(self, url: str) -> bool:
        """Whether a saved link points at this client's Graph (not an old simulator port or a
        Graph URL an administrator has since changed)."""
        return _origin(url) == self._graph_origin

    def _url(self, path_or_url: str, params: Mapping[str, Any] | None) -> str:
        if path_or_url.startswith(("https://", "http://")):
            # Links come from Graph itself; never send our token anywhere else.
            if not self.on_graph_host(path_or_url):
                raise ValueError(f"refusing a URL outside {self._graph_origin}: {path_or_url}")
            return with_query(path_or_url, params)
        return with_query(f"{self._graph_origin}/{path_or_url.lstrip('/')}", params)

    def _get_json(self, url: str, headers: Mapping[str, str] | None, type_: Any) -> Any:
        """GET and decode; a body damaged on the way is asked for again (same URL, backoff).

        Nothing of a damaged page reaches the caller, so nothing of it is stored.
        """
        for attempt in range(1, DAMAGED_BODY_ATTEMPTS + 1):
            response = self._send("GET", url, headers)
            _raise_for_status(response, url)
            try:
                return _decode(response, url, type_)
            except GraphDamagedBody as exc:
                if attempt == DAMAGED_BODY_ATTEMPTS:
                    raise
                wait = self._sender.delay(attempt, None)
                logger.warning("%s (attempt %d/%d); requesting it again in %.1f s",
                               exc, attempt, DAMAGED_BODY_ATTEMPTS, wait)
                self._sender.wait(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        data: bytes | None = None,
    ) -> requests.Response:
        """Send with a bearer token; on 401 drop that token once and try once more."""
        service = _service(url)
        for refreshed in (False, True):
            token = self._tokens.token()
            response = self._sender.send(
                method,
                url,
                service=service,
                headers={
                    "Accept": "application/json",
                    **(headers or {}),
                    "Authorization": f"Bearer {token}",
                    "client-request-id": str(uuid.uuid4()),
                },
                data=data,
            )
            if response.status_code != 401 or refreshed:
                break
            logger.info("Graph answered 401 for tenant %s; fetching a new token",
                        self.config.tenant_id)
            self._tokens.drop(token)
        return response

    def _batch_chunk(self, chunk: list[dict[str, Any]], url: str) -> dict[str, BatchResponse]:
        results: dict[str, BatchResponse] = {}
        pending = chunk
        for attempt in range(1, self._sender.max_attempts + 1):
            answers, outer_retry_after = self._post_batch(pending, url)
            results.update(answers)
            retrying = {i: a for i, a in answers.items() if a.status in RETRY_STATUSES}
            self.stats.add(throttled=sum(a.status == 429 for a in retrying.values()))
            retry_ids = _with_dependents(set(retrying), chunk, answers)
            if outer_retry_after is not None:  # the whole batch failed: send it all again
                retry_ids = {item["id"] for item in pending}
            if not retry_ids or attempt == self._sender.max_attempts:
                break
            hints = [header(a.headers, "Retry-After") for a in retrying.values()]
            if outer_retry_after is not None:
                hints.append(outer_retry_after or None)
            wait = max(self._sender.delay(attempt, hint) for hint in hints)
            logger.info("%d batch item(s) throttled or failing; retrying in %.2f s",
                        len(retry_ids), wait)
            self._sender.wait(wait)
            pending = [
                _keep_dependencies(item, retry_ids) for item in chunk if item["id"] in retry_ids
            ]
        return results

    def _post_batch(
        self, items: list[dict[str, Any]], url: str
    ) -> tuple[dict[str, BatchResponse], str | None]:
        """Per-item answers, plus the outer Retry-After ("" if absent) when the whole batch
        answered 424 without per-item answers, as an older Graph revision did when throttled."""
        body = msgspec.json.encode({"requests": items})
        response = self._send("POST", url, {"Content-Type": "application/json"}, data=body)
        if response.status_code != 424:
            _raise_for_status(response, url)
        answers = _json_object(response, url).get("responses")
        if not isinstance(answers, list):
            if response.status_code == 424:
                failed = BatchResponse(424, dict(response.headers), None)
                outer_retry_after = response.headers.get("Retry-After", "")
                return {item["id"]: failed for item in items}, outer_retry_after
            raise GraphMalformedResponse(message("graph.batch.no_responses"), url=url)
        parsed: dict[str, BatchResponse] = {}
        for answer in answers:
            if isinstance(answer, dict) and "id" in answer:
                parsed[str(answer["id"])] = BatchResponse(
                    status=int(answer.get("status") or 0),
                    headers=dict(answer.get("headers") or {}),
                    body=answer.get("body"),
                )
        missing = {item["id"] for item in items} - parsed.keys()
        if missing:
            raise GraphMalformedResponse(
                message("graph.batch.missing_ids", ids=str(sorted(missing))),
                status=response.status_code, url=url
            )
        return parsed, None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _service(url: str) -> str:
    """The breaker key: first path segment under the version root (users, auditLogs, $batch ...)."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if segments and segments[0] in _VERSIONS:
        segments = segments[1:]
    return segments[0].split("(")[0] if segments else "root"


def _raise_for_status(response: requests.Response, url: str) -> None:
    if response.status_code >= 400:
        raise error_from_response(response, url)


def _json_object(response: requests.Response, url: str) -> dict[str, Any]:
    body: dict[str, Any] = _decode(response, url, dict[str, Any])
    return body


def _decode(response: requests.Response, url: str, type_: Any) -> Any:
    details: dict[str, Any] = {
        "status": response.status_code,
        "request_id": response.headers.get("request-id", ""),
        "url": url,
    }
    # Graph adds parameters (;odata.metadata=minimal;...) so compare the media type only.
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise GraphDamagedBody(
            message("graph.not_json", type=media_type or message("graph.no_content_type"),
                    bytes=len(response.content)),
            **details,
        )
    try:
        return _decoder(type_).decode(response.content)
    except msgspec.ValidationError as exc:
        raise GraphMalformedResponse(message("graph.bad_shape", error=str(exc)),
                                     **details) from exc
    except msgspec.DecodeError as exc:
        raise GraphDamagedBody(
            message("graph.bad_json", bytes=len(response.content), error=str(exc)), **details
        ) from exc


@cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


def _chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split into Graph-sized batches, checking what would make Graph reject a whole batch."""
    seen: set[str] = set()
    for item in items:
        if "id" not in item:
            raise ValueError("every batch request needs an 'id'")
        item["id"] = str(item["id"])
        if item["id"].lower() in seen:  # Graph compares ids case-insensitively
            raise ValueError(f"duplicate batch request id {item['id']!r}")
        seen.add(item["id"].lower())
    chunks = [items[i : i + BATCH_LIMIT] for i in range(0, len(items), BATCH_LIMIT)]
    for chunk in chunks:
        ids = {item["id"] for item in chunk}
        for item in chunk:
            outside = set(item.get("dependsOn") or ()) - ids
            if outside:
                raise ValueError(
                    f"batch request {item['id']!r} depends on {sorted(outside)}, "
                    f"which land in another chunk of {BATCH_LIMIT}"
                )
    return chunks


def _with_dependents(
    retry_ids: set[str], chunk: list[dict[str, Any]], answers: Mapping[str, BatchResponse]
) -> set[str]:
    """Add the 424 items that failed only because something being retried failed first."""
    grown = set(retry_ids)
    changed = True
    while changed:
        changed = False
        for item in chunk:
            answer = answers.get(item["id"])
            if (
                item["id"] not in grown
                and answer is not None
                and answer.status == 424
                and grown.intersection(item.get("dependsOn") or ())
            ):
                grown.add(item["id"])
                changed = True
    return grown


def _keep_dependencies(item: dict[str, Any], retry_ids: set[str]) -> dict[str, Any]:
    """Drop dependsOn entries that already succeeded: they are not in the new batch."""
    kept = [d for d in item.get("dependsOn") or () if d in retry_ids]
    trimmed = {key: value for key, value in item.items() if key != "dependsOn"}
    return {**trimmed, "dependsOn": kept} if kept else trimmed
