"""Rate limits: the API per user and per address, the sign-in form per username and per
address, and one count shared by two processes through Redis."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from security.choices import EventKind
from security.models import SecurityEvent
from tests.live import login_cookie

API = "/api/v1/tenants/"
LOGIN = "/accounts/login/"


@pytest.fixture
def frozen():
    """A still clock: a count's window never ends in the middle of a test."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        yield clock


def _retry_after(response) -> int:
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 60
    return seconds


# The API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_answers_429_past_the_per_user_limit(client, viewer, settings, frozen):
    settings.RATELIMIT_USER, settings.RATELIMIT_IP = "5/m", "1000/m"
    client.force_login(viewer)
    # From five addresses: the user is counted, wherever the requests come from.
    for n in range(5):
        assert client.get(API, REMOTE_ADDR=f"192.0.2.{n + 1}").status_code == 200
    response = client.get(API, REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429
    seconds = _retry_after(response)
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {seconds} seconds."
    }

    # Retry-After is exact: a second early is still too early.
    frozen.shift(seconds - 1)
    assert client.get(API, REMOTE_ADDR="192.0.2.1").status_code == 429
    frozen.shift(1)
    assert client.get(API, REMOTE_ADDR="192.0.2.1").status_code == 200


@pytest.mark.django_db
def test_the_api_answers_429_past_the_per_address_limit(client, viewer, operator, settings,
                                                        frozen):
    settings.RATELIMIT_USER, settings.RATELIMIT_IP = "1000/m", "5/m"
    clients = [client, type(client)()]
    clients[0].force_login(viewer)
    clients[1].force_login(operator)
    # Two users behind one address share its count.
    for n in range(5):
        assert clients[n % 2].get(API, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert clients[1].get(API, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert clients[0].get(API, REMOTE_ADDR="198.51.100.8").status_code == 200


@pytest.mark.django_db
def test_an_ipv6_client_is_counted_by_its_64(client, viewer, settings, frozen):
    settings.RATELIMIT_USER, settings.RATELIMIT_IP = "1000/m", "2/m"
    client.force_login(viewer)
    assert client.get(API, REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    assert client.get(API, REMOTE_ADDR="2001:db8:1:2::ffff").status_code == 200
    assert client.get(API, REMOTE_ADDR="2001:db8:1:2:abcd::9").status_code == 429
    assert client.get(API, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


@pytest.mark.django_db
def test_a_limited_key_is_recorded_once_a_minute(client, viewer, settings, frozen):
    settings.RATELIMIT_USER, settings.RATELIMIT_IP = "2/m", "1000/m"
    client.force_login(viewer)
    statuses = [client.get(API, REMOTE_ADDR="192.0.2.1").status_code for _ in range(10)]
    assert statuses == [200, 200] + [429] * 8
    event = SecurityEvent.objects.get()
    assert (event.kind, event.username, event.ip_address, event.path, event.blocked) == (
        EventKind.RATE_LIMITED, "victor", "192.0.2.1", API, True)
    assert event.details == {"limit": "api:user", "rate": "2/m"}

    frozen.shift(60)
    statuses = [client.get(API, REMOTE_ADDR="192.0.2.1").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert SecurityEvent.objects.count() == 2


@pytest.mark.django_db
def test_the_token_endpoint_is_limited_per_address_before_any_password_is_checked(
    client, settings, frozen
):
    settings.RATELIMIT_IP = "3/m"
    statuses = [client.post("/api/v1/auth/token", {"username": name, "password": "wrong"},
                            REMOTE_ADDR="198.51.100.7").status_code
                for name in ("alice", "bob", "carol", "dave")]
    assert statuses == [401, 401, 401, 429]


@pytest.mark.django_db
def test_the_api_is_served_when_the_cache_is_down(client, viewer, settings, caplog):
    settings.RATELIMIT_USER = settings.RATELIMIT_IP = "1/m"
    client.force_login(viewer)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    assert client.get(API).status_code == 200
    assert client.get(API).status_code == 200
    assert "rate limit api:user not counted: the cache did not answer" in caplog.text


# The sign-in form ------------------------------------------------------------------------------


def _sign_in(client, username: str, address: str):
    return client.post(LOGIN, {"username": username, "password": "wrong-password"},
                       REMOTE_ADDR=address)


@pytest.mark.django_db
def test_sign_in_posts_are_limited_per_username(client, settings, frozen):
    settings.RATELIMIT_USER, settings.RATELIMIT_IP = "3/m", "1000/m"
    # Three addresses, one username however it is spelt.
    for n, username in enumerate(["alice", "Alice", " ALICE "]):
        assert _sign_in(client, username, f"192.0.2.{n + 1}").status_code == 200
    response = _sign_in(client, "alice", "192.0.2.50")
    assert response.status_code == 429
    seconds = _retry_after(response)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    unit = "second" if seconds == 1 else "seconds"  # ngettext: the window may end in 1 s
    assert response.content.decode() == f"Too many requests. Try again in {seconds} {unit}."
    assert _sign_in(client, "bob", "192.0.2.50").status_code == 200
    event = SecurityEvent.objects.get(kind=EventKind.RATE_LIMITED)
    assert (event.username, event.details["limit"]) == ("alice", "login:username")


@pytest.mark.django_db
def test_sign_in_posts_are_limited_per_address(client, settings, frozen):
    settings.RATELIMIT_USER, settings.RATELIMIT_IP = "1000/m", "3/m"
    for username in ("alice", "bob", "carol"):
        assert _sign_in(client, username, "198.51.100.7").status_code == 200
    assert _sign_in(client, "dave", "198.51.100.7").status_code == 429
    assert _sign_in(client, "dave", "198.51.100.8").status_code == 200
    # Showing the form is not counted against the sign-in limits (RATELIMIT_ANONYMOUS is apart).
    for _ in range(5):
        assert client.get(LOGIN, REMOTE_ADDR="198.51.100.7").status_code == 200


@pytest.mark.django_db
def test_a_limited_sign_in_is_not_tried(client, settings, frozen):
    settings.RATELIMIT_USER = "1/m"
    get_user_model().objects.create_user("alice", password="pw-alice-123456")
    _sign_in(client, "alice", "192.0.2.1")
    response = client.post(LOGIN, {"username": "alice", "password": "pw-alice-123456"},
                           REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# Anonymous pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_page_gets_are_limited_per_address(client, settings, frozen):
    settings.RATELIMIT_ANONYMOUS = "3/m"
    pages = [LOGIN, "/dashboard/", f"{LOGIN}?q=1"]
    assert [client.get(page, REMOTE_ADDR="198.51.100.7").status_code for page in pages] == [
        200, 302, 200]
    response = client.head(LOGIN, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    seconds = _retry_after(response)
    assert client.get("/signins/", REMOTE_ADDR="198.51.100.7").status_code == 429
    assert client.get(LOGIN, REMOTE_ADDR="198.51.100.8").status_code == 200
    event = SecurityEvent.objects.get(kind=EventKind.RATE_LIMITED)
    assert (event.ip_address, event.details) == ("198.51.100.7",
                                                 {"limit": "page:ip", "rate": "3/m"})
    frozen.shift(seconds)
    assert client.get(LOGIN, REMOTE_ADDR="198.51.100.7").status_code == 200


@pytest.mark.django_db
def test_the_anonymous_limit_spares_probes_the_api_sign_in_posts_and_signed_in_users(
        client, viewer, settings, frozen):
    settings.RATELIMIT_ANONYMOUS = "1/m"
    assert client.get(LOGIN).status_code == 200
    assert client.get(LOGIN).status_code == 429
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get(API).status_code in (401, 403)  # the API's own limits apply
    # The way in stays open: sign-in POSTs have their own per-address limit.
    assert client.post(LOGIN, {"username": "victor", "password": "pw-victor-123456"}
                       ).status_code == 302
    assert [client.get("/dashboard/").status_code for _ in range(3)] == [200] * 3


# Across processes ------------------------------------------------------------------------------


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.redis
def test_two_web_processes_share_one_count_through_redis(live_site):
    # Per hour, so no window ends during the test; counts outlive the processes in Redis, so
    # each run counts under its own key prefix (the sign-in from 127.0.0.1 counts too).
    live_site.env.update(REDIS_URL=django_settings.REDIS_URL, RATELIMIT_IP="5/h",
                         RATELIMIT_USER="1000/h", TRUSTED_PROXIES="127.0.0.1",
                         CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    address = f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"
    first, second = live_site.serve("--no-scheduler"), live_site.serve("--no-scheduler")
    headers = {"Cookie": login_cookie(first), "X-Forwarded-For": address}

    answers = [_get(base + API, headers) for base in [first, second] * 3]
    assert [status for status, _, _ in answers] == [200, 200, 200, 200, 200, 429]
    _, response_headers, body = answers[-1]
    assert 1 <= int(response_headers["Retry-After"]) <= 3600
    assert "throttled" in json.loads(body)["detail"]
    assert _get(first + API, headers)[0] == 429  # and the first process agrees
