"""Pure pieces of the Graph client: Retry-After parsing, backoff, breaker state machine, errors."""

from __future__ import annotations

from email.utils import formatdate

import pytest
import requests

from collectors.graph import GraphBreakerOpen, GraphError, GraphResyncRequired
from collectors.graph.breaker import CircuitBreakers
from collectors.graph.errors import error_from_response
from collectors.graph.retry import backoff_seconds, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2", 2.0), ("0.5", 0.5), (" 10 ", 10.0), ("-3", 0.0), ("100000", 300.0), (None, None),
     ("", None), ("soon", None), ("nan", None)],
)
def test_it_parses_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_it_parses_retry_after_http_dates() -> None:
    assert parse_retry_after(formatdate(NOW + 7, usegmt=True), NOW) == 7.0
    assert parse_retry_after(formatdate(NOW - 7, usegmt=True), NOW) == 0.0


def test_backoff_is_capped_exponential_with_jitter_above_a_one_second_floor() -> None:
    assert [backoff_seconds(n, 0.0) for n in (1, 2, 3, 7, 8)] == [1, 2, 4, 60, 60]
    assert [backoff_seconds(n, 1.0) for n in (1, 2, 3, 6, 7)] == [2, 4, 8, 60, 60]
    assert backoff_seconds(3, 0.5) == 6.0
    assert min(backoff_seconds(1, r / 100) for r in range(100)) >= 1.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_five_failures_and_half_opens_after_a_minute() -> None:
    clock = FakeClock()
    breakers = CircuitBreakers("t1", clock)
    for _ in range(4):
        breakers.before_call("users")
        breakers.record_failure("users")
    assert breakers.states() == {"users": "closed"}
    breakers.record_failure("users")
    assert breakers.states() == {"users": "open"}
    with pytest.raises(GraphBreakerOpen, match="tenant t1, service users") as info:
        breakers.before_call("users")
    assert info.value.retry_in == 60
    breakers.before_call("auditLogs")  # other services are unaffected

    clock.now += 60
    assert breakers.states()["users"] == "half_open"
    breakers.before_call("users")  # the one trial
    with pytest.raises(GraphBreakerOpen, match="trial call is in progress"):
        breakers.before_call("users")
    breakers.record_failure("users")
    assert breakers.states()["users"] == "open"

    clock.now += 60
    breakers.before_call("users")
    breakers.record_success("users")
    assert breakers.states()["users"] == "closed"


def test_a_success_resets_the_failure_streak() -> None:
    breakers = CircuitBreakers("t1", FakeClock())
    for _ in range(4):
        breakers.record_failure("users")
    breakers.record_success("users")
    for _ in range(4):
        breakers.record_failure("users")
    assert breakers.states() == {"users": "closed"}


def _response(status: int, body: bytes, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update(headers)
    return response


def test_errors_read_codes_from_inner_error_in_any_case() -> None:
    body = b'{"error": {"code": "", "message": "x", "InnerError": {"code": "syncStateNotFound"}}}'
    error = error_from_response(_response(400, body), "https://g/v1.0/users/delta?$deltatoken=x")
    assert isinstance(error, GraphResyncRequired)
    assert error.code == "syncStateNotFound"
    assert error.url == "https://g/v1.0/users/delta"


def test_error_text_is_one_line() -> None:
    error = GraphError("line one\r\nline two", status=500, code="x", request_id="r",
                       url="https://g/a?b=c")
    assert str(error) == "line one line two (HTTP 500; x; https://g/a; request-id r)"
