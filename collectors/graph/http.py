"""The only module that sends HTTP: one pooled requests.Session per client, plus msal's adapter.

TLS trust and the timeout are passed on every request rather than set on the session: when
REQUESTS_CA_BUNDLE is set (it is on our machines) requests ignores a session's `verify`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import requests
from requests.adapters import HTTPAdapter

from .config import GraphConfig

DEFAULT_MAX_IN_FLIGHT = 10


class Limiter:
    """Caps the number of requests in flight; share one instance to cap a whole process."""

    def __init__(self, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.size = max_in_flight
        self._slots = threading.BoundedSemaphore(max_in_flight)

    def __enter__(self) -> Limiter:
        self._slots.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._slots.release()


PROCESS_LIMITER = Limiter()


class HttpTransport:
    """Sends one attempt, inside the limiter, and returns the fully read response."""

    def __init__(self, config: GraphConfig, limiter: Limiter) -> None:
        self._limiter = limiter
        self._timeout = config.timeout
        self._verify: str | bool = config.ca_bundle or True
        self._session = requests.Session()
        # One pooled connection per slot the limiter can grant, so no request waits on the pool.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=limiter.size)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> requests.Response:
        with self._limiter:
            return self._session.request(
                method,
                url,
                headers=dict(headers or {}),
                data=data,
                timeout=self._timeout,
                verify=self._verify,
                allow_redirects=False,  # report downloads must not forward the bearer token
            )

    def close(self) -> None:
        self._session.close()


class SendFunction(Protocol):
    def __call__(
        self,
        method: str,
        url: str,
        *,
        service: str,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> requests.Response: ...


class MsalHttpClient:
    """msal's `http_client`: routes discovery and token calls through our retries and breaker.

    requests.Response already has the status_code / text / headers / raise_for_status msal needs.
    """

    def __init__(self, send: SendFunction) -> None:
        self._send = send

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        return self._send("GET", with_query(url, params), service="token", headers=headers)

    def post(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        return self._send(
            "POST", with_query(url, params), service="token", headers=headers, data=data
        )

    def close(self) -> None:
        """msal may call this; the session belongs to the GraphClient."""


def with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """Append params, keeping OData's `$`, quotes, parentheses and commas readable."""
    if not params:
        return url
    query = urlencode(params, safe="$'(),:/@", quote_via=quote)
    return f"{url}{'&' if '?' in url else '?'}{query}"

