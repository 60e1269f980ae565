"""Errors raised by the Graph client.

Every error carries the HTTP status, Graph's error code, a message, the request id and the URL
(without its query string), and renders as one line an operator can act on. Nothing here ever
holds the client secret or a token.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
import requests

from m365admin.texts import Message, english, message

LICENSE_CODE = "authentication_requestfromnonpremiumtenantorb2ctenant"
RESYNC_CODES = frozenset({"syncstatenotfound", "resyncrequired"})


class GraphError(Exception):
    """Base class: something went wrong talking to Graph or the identity platform.

    `text` says it language-neutrally (m365admin/texts.py), `message` in English; a message
    given as plain text (Graph's own words) is a literal.
    """

    def __init__(
        self,
        text: Message,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.text = one_line(text) if isinstance(text, str) else text
        self.message = one_line(english(self.text))
        self.request_id = request_id
        self.url = safe_url(url)
        super().__init__(self.message)

    def __str__(self) -> str:
        return english(self.described())

    def described(self) -> Message:
        """The text and what identifies the failure: status, code, URL, request id."""
        details = self._details()
        if not details:
            return self.text
        return message("graph.failure", message=self.text, details="; ".join(details))

    def _details(self) -> list[str]:
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code and self.code not in self.message:
            details.append(self.code)
        if self.url and self.url not in self.message:
            details.append(self.url)
        if self.request_id:
            details.append(f"request-id {self.request_id}")
        return details


class GraphAuthError(GraphError):
    """No token could be had, or Graph rejected a freshly issued one."""


class GraphTlsError(GraphError):
    """The host answered, but its certificate is not trusted (GRAPH_CA_BUNDLE, ca_bundle)."""


class GraphUnavailable(GraphError):
    """Graph kept failing (5xx, timeouts, connection errors) until the retries ran out."""


class GraphThrottled(GraphError):
    """Graph still answered 429 after the last allowed attempt."""


class GraphBreakerOpen(GraphUnavailable):
    """The circuit breaker for this tenant and service rejected the call without sending it."""

    def __init__(self, text: Message, *, retry_in: float, url: str = "") -> None:
        super().__init__(text, url=url)
        self.retry_in = retry_in


class GraphLicenseRequired(GraphError):
    """The tenant lacks the Entra ID P1/P2 licence this data needs (403 non-premium tenant)."""


class GraphResyncRequired(GraphError):
    """A delta round cannot continue: drop local state and start a full sync from `location`."""

    def __init__(self, text: Message, *, location: str | None = None, **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self.location = location


class GraphMalformedResponse(GraphError):
    """The body was truncated, not JSON, or not the JSON object that was due."""


class GraphDamagedBody(GraphMalformedResponse):
    """A body cut off or not JSON at all: damage on the way, worth asking for again."""


def one_line(text: str) -> str:
    """Collapse all whitespace (AADSTS descriptions carry CRLFs) into single spaces."""
    return " ".join(text.split())


def safe_url(url: str) -> str:
    """Drop query and fragment: skip tokens are long and pre-authenticated links are secrets."""
    if not url:
        return ""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def error_from_response(response: requests.Response, url: str) -> GraphError:
    """Turn a non-success Graph response into the most specific GraphError."""
    status = response.status_code
    error = _error_object(response.content)
    codes = list(_codes(error))
    code = next((c for c in codes if c), "")
    lowered = {c.lower() for c in codes}
    said = one_line(str(error.get("message") or response.reason or "request failed"))
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": _request_id(error, response.headers),
        "url": url,
    }
    if status == 410 or lowered & RESYNC_CODES:
        location = response.headers.get("Location")
        return GraphResyncRequired(
            message("graph.resync", message=said), location=location, **kwargs
        )
    if status == 403 and LICENSE_CODE in lowered:
        return GraphLicenseRequired(message("graph.no_licence", message=said), **kwargs)
    if status == 401:
        return GraphAuthError(message("graph.token_rejected", message=said), **kwargs)
    if status == 429:
        return GraphThrottled(message("graph.throttled", message=said), **kwargs)
    if status >= 500:
        return GraphUnavailable(message("graph.failing", message=said), **kwargs)
    return GraphError(said, **kwargs)


def _error_object(content: bytes) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(content)
    except msgspec.DecodeError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _inner(error: Mapping[str, Any]) -> dict[str, Any] | None:
    # The docs spell it both innerError and innererror.
    for key, value in error.items():
        if key.lower() == "innererror" and isinstance(value, dict):
            return value
    return None


def _codes(error: Mapping[str, Any]) -> Iterator[str]:
    """The top-level code first, then any codes nested in innerError chains."""
    current: Mapping[str, Any] | None = error
    while current is not None:
        code = current.get("code")
        if isinstance(code, str):
            yield code
        current = _inner(current)


def _request_id(error: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    inner = _inner(error) or {}
    return str(inner.get("request-id") or headers.get("request-id") or "")
