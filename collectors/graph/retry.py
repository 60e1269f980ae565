"""The retry loop every request goes through: breaker check, one attempt, Retry-After or backoff.

Retried: 429, 503, 504, connection errors and timeouts, at most `max_attempts` tries in all.
Everything else (other 4xx, 500, 501, 502) is returned to the caller at once.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from m365admin.lib.transport import describe_exception
from m365admin.texts import message

from .breaker import BreakerState, CircuitBreakers
from .errors import GraphTlsError, GraphUnavailable, safe_url
from .http import HttpTransport
from .stats import GraphStats

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 503, 504})
DEFAULT_MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0
# Honour what the server asks, but not a misconfigured header that would park a sync for hours.
MAX_RETRY_AFTER_SECONDS = 300.0

# Failures of the network path itself; TLS errors are configuration, not transient.
_TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (integer, fractional or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are UTC anyway
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def backoff_seconds(attempt: int, rand: float) -> float:
    """Capped exponential backoff with jitter above its floor; `attempt` counts from 1.

    The floor doubles from BACKOFF_BASE_SECONDS (1 s, 2 s, 4 s …) and the jitter adds up to
    as much again, so a throttled request without Retry-After never comes back within a
    second (full jitter could retry after a few milliseconds and be throttled again).
    """
    floor = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return float(min(BACKOFF_CAP_SECONDS, floor * (1.0 + rand)))


def header(headers: Mapping[str, Any], name: str) -> str | None:
    """Case-insensitive lookup that also works on the plain dicts inside $batch responses."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return str(value)
    return None


class Sender:
    """Sends through the transport with retries, breaker bookkeeping and stats."""

    def __init__(
        self,
        transport: HttpTransport,
        breakers: CircuitBreakers,
        stats: GraphStats,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.transport = transport
        self.breakers = breakers
        self.stats = stats
        self.max_attempts = max_attempts
        self.sleep: Callable[[float], None] = time.sleep
        self.random: Callable[[], float] = random.random
        self.wallclock: Callable[[], float] = time.time  # for HTTP-date Retry-After values

    def delay(self, attempt: int, retry_after: str | None) -> float:
        seconds = parse_retry_after(retry_after, self.wallclock())
        return backoff_seconds(attempt, self.random()) if seconds is None else seconds

    def wait(self, seconds: float) -> None:
        """Wait before sending again (a retry)."""
        self.sleep(seconds)
        self.stats.add(waited=seconds, retries=1)

    def send(
        self,
        method: str,
        url: str,
        *,
        service: str,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> requests.Response:
        """Return the final response (possibly a 429/5xx once attempts run out).

        Raises GraphBreakerOpen when the breaker rejects an attempt, GraphUnavailable when the
        network keeps failing, GraphTlsError when TLS verification fails.
        """
        wait = 0.0
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self.wait(wait)
            self.breakers.before_call(service)
            try:
                response = self.transport.send(method, url, headers=headers, data=data)
            except requests.exceptions.SSLError as exc:
                self.breakers.record_success(service)  # reachable; our trust settings are wrong
                raise GraphTlsError(
                    message("graph.tls", error=describe_exception(exc)), url=url
                ) from exc
            except _TRANSIENT_ERRORS as exc:
                self.stats.add(requests=1, failures=1)
                state = self.breakers.record_failure(service)
                reason = describe_exception(exc)
                if attempt == self.max_attempts or state is BreakerState.OPEN:
                    raise GraphUnavailable(
                        message("graph.unreachable", method=method, service=service, n=attempt,
                                error=reason), url=url
                    ) from exc
                wait = self.delay(attempt, None)
                logger.info(
                    "%s %s: %s (attempt %d/%d); retrying in %.2f s",
                    method, safe_url(url), reason, attempt, self.max_attempts, wait,
                )
                continue
            status = response.status_code
            failed = status >= 500
            self.stats.add(requests=1, throttled=int(status == 429), failures=int(failed))
            if failed:
                state = self.breakers.record_failure(service)
            else:
                self.breakers.record_success(service)
                state = BreakerState.CLOSED
            if (
                status not in RETRY_STATUSES
                or attempt == self.max_attempts
                or state is BreakerState.OPEN
            ):
                return response
            wait = self.delay(attempt, response.headers.get("Retry-After"))
            logger.info(
                "%s %s: HTTP %d (attempt %d/%d); retrying in %.2f s",
                method, safe_url(url), status, attempt, self.max_attempts, wait,
            )
        raise AssertionError("unreachable: the last attempt always returns or raises")
