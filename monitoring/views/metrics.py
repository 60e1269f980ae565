"""/metrics for Prometheus: not a page for people, so no session or role, but a bearer token
or a source address, and nothing at all until one of them is configured."""

from __future__ import annotations

import hmac
import ipaddress
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from monitoring import prometheus


def _has_token(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (bool(settings.METRICS_TOKEN) and scheme.lower() == "bearer"
            and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode()))


def _from_allowed_address(request: HttpRequest) -> bool:
    # request.client_ip honours TRUSTED_PROXIES (security.middleware.CallerMiddleware).
    try:
        address = ipaddress.ip_address(getattr(request, "client_ip", None) or "")
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def require_scrape_access(view):
    """404 while neither METRICS_TOKEN nor METRICS_ALLOWED_NETWORKS is set; then the token or
    an allowed address, else 401 (asking for the token) or 403 (addresses only)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
            raise Http404
        if _has_token(request) or _from_allowed_address(request):
            return view(request, *args, **kwargs)
        if settings.METRICS_TOKEN:
            response = HttpResponse("A bearer token is required.\n", status=401,
                                    content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return HttpResponse("This address may not read the metrics.\n", status=403,
                            content_type="text/plain")

    return wrapped


@login_not_required
@require_safe
@never_cache
@require_scrape_access
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(prometheus.exposition(), content_type=prometheus.CONTENT_TYPE)
