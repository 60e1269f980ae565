"""Rate limits on the API, the sign-in form and anonymous pages, and the cap on inspection
events, counted by django-ratelimit in the cache.

API views count RATELIMIT_USER per signed-in user and RATELIMIT_IP per client address
(`APIRateThrottle`, every DRF view through DEFAULT_THROTTLE_CLASSES); sign-in POSTs count
RATELIMIT_IP per address and RATELIMIT_USER per username posted (`login_limited`); page GETs
from clients not signed in count RATELIMIT_ANONYMOUS per address
(security.middleware.AnonymousPageRateMiddleware). Past a limit the answer is 429 with
Retry-After, the seconds until the limit's window ends. An address records at most
INSPECTION_EVENTS_PER_ADDRESS attack events; one counted event stands for the rest.

With REDIS_URL every process counts in the same Redis; without it, in its own memory.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.db.models.functions import Now
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from security import events
from security.choices import EventKind
from security.models import SecurityEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    scope: str  # what is counted: "user", "username" or "ip"
    setting: str  # the setting that holds the rate, read on each request
    key: Callable[[HttpRequest], str | None]  # None: the limit does not apply to the request


def client_network(request: HttpRequest) -> str:
    """The client's address; for IPv6 its /64, since a client usually holds a whole /64."""
    address = request.client_ip
    if address is None:
        return "unknown"  # no usable peer address: such requests share one count
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address


def _user(request: HttpRequest) -> str | None:
    return str(request.user.pk) if request.user.is_authenticated else None


def _posted_username(request: HttpRequest) -> str | None:
    # Folded, so "Alice" and "alice " are one count.
    return request.POST.get("username", "").strip().casefold() or None


API_LIMITS = (Limit("user", "RATELIMIT_USER", _user), Limit("ip", "RATELIMIT_IP", client_network))
LOGIN_LIMITS = (Limit("username", "RATELIMIT_USER", _posted_username),
                Limit("ip", "RATELIMIT_IP", client_network))
ANONYMOUS_PAGE_LIMITS = (Limit("ip", "RATELIMIT_ANONYMOUS", client_network),)


def count(request: HttpRequest, group: str, limits: tuple[Limit, ...], *,
          username: str) -> int | None:
    """Counts the request against each limit that applies. Past any: the seconds until all
    the exceeded ones allow it again (Retry-After), each exceeded key recorded at most once
    a minute; None otherwise."""
    waits = []
    for limit in limits:
        key = limit.key(request)
        if key is None:
            continue
        rate = getattr(settings, limit.setting)
        usage = _usage(request, f"{group}:{limit.scope}", key, rate)
        if usage is not None and usage["should_limit"]:
            # The window ends time_left seconds from now, that second included; -1 means the
            # count was lost (the key expired under it), so "1" is as good as any answer.
            waits.append(max(usage["time_left"] + 1, 1))
            record_sparingly(EventKind.RATE_LIMITED, f"{group}:{limit.scope}:{key}",
                             request=request, username=username, blocked=True,
                             limit=f"{group}:{limit.scope}", rate=rate)
    return max(waits, default=None)


def record_sparingly(kind: EventKind, key: str, *, request: HttpRequest | None = None,
                     **fields) -> None:
    """`events.record`, at most once a minute per kind and key (an address, a user): a flood
    writes one row a minute, not one per request. Counted like the limits, across processes."""
    usage = _usage(request, f"event:{kind}", key, "1/m")
    if usage is None or not usage["should_limit"]:
        events.record(kind, request=request, **fields)


def record_within_cap(kind: EventKind, *, request: HttpRequest, **fields) -> None:
    """`events.record`, up to INSPECTION_EVENTS_PER_ADDRESS per client address and window;
    past it, one event per address, kind and window counts the rest in its `count`, so a
    flood of hostile requests writes a few rows, not hundreds a second. The event's id waits
    in the cache, shared by every process, until the window ends."""
    address = client_network(request)
    usage = _usage(request, "inspection", address, settings.INSPECTION_EVENTS_PER_ADDRESS)
    if usage is None or not usage["should_limit"]:
        events.record(kind, request=request, **fields)
        return
    # Named by the window's end, under django-ratelimit's prefix, as its counts are.
    window_end = int(time.time()) + usage["time_left"]
    key = (f"{getattr(settings, 'RATELIMIT_CACHE_PREFIX', 'rl:')}over-cap:{kind}:{address}:"
           f"{window_end}")
    event_id = cache.get(key)
    if event_id and SecurityEvent.objects.filter(pk=event_id).update(count=F("count") + 1,
                                                                     changed=Now()):
        return
    # The first past the cap in this window (two processes racing may both start one).
    event = events.record(kind, request=request, **fields)
    cache.set(key, event.pk, timeout=max(usage["time_left"], 0) + 1)


def _usage(request: HttpRequest | None, group: str, key: str, rate: str) -> dict | None:
    try:
        return get_usage(request, group=group, key=lambda _group, _request: key, rate=rate,
                         increment=True)
    except Exception:
        # The cache is down (the health checks report it): serve everyone rather than no one.
        logger.warning("rate limit %s not counted: the cache did not answer", group, exc_info=True)
        return None


class APIRateThrottle(BaseThrottle):
    """The API's limits. DRF runs it after authentication (so a JWT's user is known) and
    permissions, and answers a refusal with 429, Retry-After from `wait()`, and JSON."""

    def allow_request(self, request, view) -> bool:
        username = request.user.get_username() if request.user.is_authenticated else ""
        self.retry_after = count(request, "api", API_LIMITS, username=username)
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after


def login_limited(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The sign-in view, with each POST counted per address and per username posted."""

    @wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if request.method == "POST":
            retry_after = count(request, "login", LOGIN_LIMITS,
                                username=request.POST.get("username", ""))
            if retry_after is not None:
                return too_many_requests(retry_after)
        return view(request, *args, **kwargs)

    return limited


def too_many_requests(retry_after: int) -> HttpResponse:
    message = ngettext(
        "Too many requests. Try again in %(seconds)d second.",
        "Too many requests. Try again in %(seconds)d seconds.", retry_after,
    ) % {"seconds": retry_after}
    return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8",
                        headers={"Retry-After": str(retry_after)})
