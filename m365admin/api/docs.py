"""The OpenAPI schema and its two readers, served from our own static files under our CSP.

drf-spectacular's own templates carry inline <style> and <script>, which the CSP refuses; ours
link a stylesheet, load Swagger UI's start-up script from the server (the split view) and hand
Redoc the request's nonce for the <style> elements it writes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from drf_spectacular import renderers, views

SCHEMA_URL_NAME = "api-docs:schema"


class SchemaView(views.SpectacularAPIView):
    """JSON by default; YAML with `?format=yaml` or `Accept: application/yaml`."""

    renderer_classes = [
        renderers.OpenApiJsonRenderer, renderers.OpenApiJsonRenderer2,
        renderers.OpenApiYamlRenderer, renderers.OpenApiYamlRenderer2,
    ]


class SwaggerView(views.SpectacularSwaggerSplitView):
    url_name = SCHEMA_URL_NAME
    template_name = "m365admin/api_swagger.html"


# Redoc writes its styles into <style> elements carrying the nonce it is given, except two
# it inserts as its bundle loads, before it is given anything: an empty one and the
# perfect-scrollbar rules, allowed by their hashes (the pinned sidecar's bundle; the browser
# test names any new one). Its search index runs in a worker made from a blob: URL.
_REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
]
_REDOC_CSP: dict[str, Any] = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.NONCE, *_REDOC_STYLE_HASHES],
    "worker-src": [CSP.SELF, "blob:"],
}


@method_decorator(csp_override(_REDOC_CSP), name="dispatch")
class RedocView(views.SpectacularRedocView):
    url_name = SCHEMA_URL_NAME
    template_name = "m365admin/api_redoc.html"
