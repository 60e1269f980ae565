"""Where the REST API lives: requests under it get JSON answers, never pages or redirects."""

from __future__ import annotations

from django.http import HttpRequest

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)
