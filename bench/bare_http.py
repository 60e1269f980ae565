"""The ceiling for bench/http_servers.py: a bare Django JSON view, with no middleware, database or cache.

What a server costs to run Django at all, so each of the app's figures has its ceiling beside
it. The same view as WSGI (`wsgi`) and as ASGI (`asgi`):

    granian --interface wsgi bench.bare_http:wsgi
    daphne bench.bare_http:asgi
"""

from __future__ import annotations

import django
from django.conf import settings
from django.http import JsonResponse
from django.urls import path

settings.configure(
    DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, MIDDLEWARE=[], INSTALLED_APPS=[],
    SECRET_KEY="bench-bare-http",  # noqa: S106 — signs nothing: the view has no session or form
)
django.setup()


def bare(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bare", bare)]

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

wsgi = get_wsgi_application()
asgi = get_asgi_application()
