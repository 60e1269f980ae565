"""Per-request security context: the scheme a trusted proxy vouches for; who is calling and
from where; denied requests recorded; addresses the IP rules refuse turned away; requests
inspected for attacks; sessions that owe a second factor sent to give it."""

from __future__ import annotations

import io
from time import monotonic
from types import SimpleNamespace
from urllib.parse import urlencode

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from m365admin import audit
from m365admin.lib.apipath import is_api
from m365admin.lib.asyncdb import in_worker_thread
from m365admin.lib.clientip import client_ip, peer_is_trusted_proxy
from security import inspection, iprules, otp, ratelimits
from security.choices import EventKind
from security.requestvalues import request_values


class ForwardedProtoMiddleware:
    """Drops X-Forwarded-Proto unless the direct peer is one of TRUSTED_PROXIES, as
    m365admin.lib.clientip ignores their X-Forwarded-For: Django believes SECURE_PROXY_SSL_HEADER
    from anyone, and a client claiming "https" would pass for a secure request.

    Before SecurityMiddleware, whose HTTPS redirect and HSTS header read request.is_secure().
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not peer_is_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)


# Probes come from the load balancer or orchestrator many times a minute, whatever the rules
# say, and carry nothing to inspect or count.
PROBES = frozenset({"/healthz", "/readyz"})


class IPRulesMiddleware:
    """Refuses the addresses the IP rules refuse (security.iprules) with a plain 403.

    Right after WhiteNoise (static files are public), before sessions and authentication:
    nothing else runs for a refused address. Sets `request.client_ip`.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.client_ip = client_ip(request)
        if request.path_info not in PROBES and iprules.refuses(request):
            # LocaleMiddleware has not run: the language comes from the cookie or the browser.
            with translation.override(translation.get_language_from_request(request)):
                message = translation.gettext("Access from your network address is not allowed.")
            return HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class CallerMiddleware:
    """Sets `request.client_ip` and the audit caller; records every 403 in the audit log.

    After AuthenticationMiddleware, so `request.user` is known.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not hasattr(request, "client_ip"):  # IPRulesMiddleware has usually found it
            request.client_ip = client_ip(request)
        token = audit.current_caller.set(audit.Caller(request.user, request.client_ip))
        try:
            response = self.get_response(request)
            if response.status_code == 403:
                audit.record("access.denied", request.path[:300],
                             {"method": request.method, "status": 403})
            return response
        finally:
            audit.current_caller.reset(token)


# Anonymous pages -------------------------------------------------------------------------------


class AnonymousPageRateMiddleware:
    """Page GETs from clients not signed in, counted per address (RATELIMIT_ANONYMOUS): past
    the limit, 429 with Retry-After. The API and sign-in POSTs have limits of their own.

    After CallerMiddleware (the address, and `request.user`), before InspectionMiddleware: a
    flood is turned away before it costs an inspection.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.method in ("GET", "HEAD") and not request.user.is_authenticated
                and request.path_info not in PROBES and not is_api(request)):
            retry_after = ratelimits.count(request, "page", ratelimits.ANONYMOUS_PAGE_LIMITS,
                                           username="")
            if retry_after is not None:
                return ratelimits.too_many_requests(retry_after)
        return self.get_response(request)


# Request inspection ----------------------------------------------------------------------------

# A request with a thousand hostile fields writes this many events, not a thousand.
MAX_EVENTS_PER_REQUEST = 10
SAMPLE_LENGTH = 200
LOCATION_LENGTH = 200  # SecurityEvent.location


class InspectionMiddleware:
    """Looks for SQL injection and cross-site scripting in what the sender chose
    (security.requestvalues, security.inspection): one security event per place and kind
    found; in block mode (ATTACK_BLOCK_MODE) the request is refused with a plain 403.

    After CallerMiddleware: events carry `request.client_ip`, and the 403 is audited.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBES or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        detections = _detections(request)
        blocked = bool(detections) and settings.ATTACK_BLOCK_MODE
        username = request.user.get_username() if request.user.is_authenticated else ""
        for (location, kind), (rule, sample) in detections.items():
            ratelimits.record_within_cap(kind, request=request, username=username,
                                         location=location, blocked=blocked, rule=rule,
                                         sample=sample)
        if blocked:
            return HttpResponseForbidden(
                _("This request was refused: it looks like an attack on this site."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _detections(request: HttpRequest) -> dict[tuple[str, EventKind], tuple[str, str]]:
    """{(location, kind): (first rule, sample)} for the request's values."""
    found: dict[tuple[str, EventKind], tuple[str, str]] = {}
    for location, value in request_values(request):
        for finding in inspection.inspect(value):
            key = (location[:LOCATION_LENGTH], finding.kind)
            if key not in found:
                if len(found) == MAX_EVENTS_PER_REQUEST:
                    return found
                found[key] = (finding.rule, value[:SAMPLE_LENGTH])
    return found


# Two-factor sign-in ---------------------------------------------------------------------------

# What a session that owes a second factor may still open: the way to give it, the way out,
# the language switch and the probes (static files are served before any middleware here).
TWO_FACTOR_OPEN_ROUTES = frozenset({
    "two_factor:verify", "two_factor:setup", "logout", "set_language", "healthz", "readyz",
})


class TwoFactorMiddleware:
    """Sends a signed-in session that owes a second factor (security.otp.pending_step) to
    verify or set it up before anything else; the API answers 403 JSON instead.

    After OTPMiddleware, which sets `request.user.is_verified()` from the session, and after
    CallerMiddleware, so its 403s are audited like any other.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and not user.is_verified() and not _bearer_api_call(request)
                and not _open_route(request)):
            step = otp.pending_step(user)
            if step is not None:
                return _second_factor_first(request, step)
        return self.get_response(request)


def _open_route(request: HttpRequest) -> bool:
    if is_api(request):
        return False  # none of them is under the API: no need to resolve the path
    try:
        return resolve(request.path_info).view_name in TWO_FACTOR_OPEN_ROUTES
    except Resolver404:
        return False


def _bearer_api_call(request: HttpRequest) -> bool:
    # DRF authenticates a bearer token before the session and never falls back to it.
    return is_api(request) and "HTTP_AUTHORIZATION" in request.META


def _second_factor_first(request: HttpRequest, step: otp.Step) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": _(
            "Two-factor verification is required: finish signing in in the browser first."
        )}, status=403)
    url = reverse(f"two_factor:{step}")
    if request.method in ("GET", "HEAD"):
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


class WebsocketCallerMiddleware:
    """For websockets what IPRulesMiddleware and the session's user are for requests, inside
    channels' SessionMiddleware, in one trip to a worker thread: an address the IP rules
    refuse is turned away at the handshake (its session unread); otherwise scope["user"] is
    the session's user, or an anonymous one when the session owes a second factor, so
    consumers refuse it as they refuse anyone signed out."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        refused, user = await in_worker_thread(_socket_caller, scope)
        if refused:
            return await WebsocketDenier.as_asgi()(scope, receive, send)
        return await self.inner({**scope, "user": user}, receive, send)


def _socket_caller(scope: dict) -> tuple[bool, object]:
    """(refused by the IP rules, the user)."""
    # The handshake read as a request, so the address (X-Forwarded-For from a trusted proxy)
    # and the event come out as they do for any request.
    request = ASGIRequest({**scope, "method": "GET"}, io.BytesIO())
    request.client_ip = client_ip(request)
    if iprules.refuses(request):
        return True, AnonymousUser()
    return False, _socket_user(scope["session"])


# A reconnect storm (every dashboard after a deploy) brings many sockets of the same few users
# at once. Their user, second factor and permissions (four of a handshake's five queries, and
# most of its CPU in daphne: bench/fanout.py) are read once and reused for this long by the
# sockets whose session names the same user, password hash and verifying device. The session
# itself is read for every socket, so signing out takes effect at once; a change of password,
# role or device reaches new sockets within these seconds (open sockets are never re-checked).
SOCKET_USER_SECONDS = 2.0
_recent_users: dict[tuple, tuple[float, object]] = {}


def _socket_user(session):
    key = tuple(session.get(name) for name in (auth.SESSION_KEY, auth.BACKEND_SESSION_KEY,
                                                 auth.HASH_SESSION_KEY, otp.DEVICE_ID_SESSION_KEY))
    now = monotonic()
    recent = _recent_users.get(key)
    if recent is not None and now - recent[0] < SOCKET_USER_SECONDS:
        return recent[1]
    user = _read_socket_user(session)
    if user.is_authenticated:
        if len(_recent_users) > 10_000:  # users seen once stay no longer than a storm
            _forget_stale(now)
        _recent_users[key] = (now, user)
    return user


def _forget_stale(now: float) -> None:
    for key, (seen, _user) in list(_recent_users.items()):
        if now - seen >= SOCKET_USER_SECONDS:
            _recent_users.pop(key, None)


def _read_socket_user(session):
    # Django's own reading of a session's user (auth hash checked, fallback keys honoured);
    # it needs nothing of the request but its session.
    user = auth.get_user(SimpleNamespace(session=session))
    if not user.is_authenticated:
        return user
    # No OTPMiddleware here: the device that verified the session, read as it does.
    if otp.session_device(session, user) is None and otp.pending_step(user) is not None:
        return AnonymousUser()
    return user
