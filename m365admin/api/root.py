"""/api/v1/: every endpoint that takes no parameter in its path, found in the URL
configuration, so the endpoints other apps add are listed without being named here."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

PREFIX = "api/v1/"
# A route that is a plain path: no converter, no regular-expression group.
_PLAIN = re.compile(r"[\w/.-]+")


def routes(patterns: Sequence[URLPattern | URLResolver] | None = None,
           prefix: str = "") -> Iterator[str]:
    """Every route of the URL configuration, as written (converters, regular expressions)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        piece = str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + piece)
        else:
            yield prefix + piece


def endpoint_index() -> list[str]:
    """The parameter-free routes under /api/v1/, relative to it, sorted."""
    found = {route.removeprefix(PREFIX) for route in routes()
             if route.startswith(PREFIX) and _PLAIN.fullmatch(route)}
    return sorted(found - {""})


class ApiRootView(APIView):
    """Every endpoint group, by its path under /api/v1/, and the schema."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Index of the API's endpoints", responses=OpenApiResponse(
        OpenApiTypes.OBJECT, description="Endpoint path → absolute URL."))
    def get(self, request: Request) -> Response:
        index = {route.rstrip("/"): request.build_absolute_uri(f"/{PREFIX}{route}")
                 for route in endpoint_index()}
        index["schema"] = request.build_absolute_uri(reverse("api-docs:schema"))
        return Response(index)
