"""What a locked-out sign-in gets: 429 with Retry-After, as a page or as JSON for the API."""

from __future__ import annotations

from math import ceil

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled


def cooloff_seconds() -> int:
    return ceil(settings.AXES_COOLOFF_TIME.total_seconds())


def message() -> str:
    return _("Too many failed sign-ins for this username from this address; try again later "
             "or ask an administrator to unlock it.")


def lockout_response(request: HttpRequest, original_response=None, credentials=None,
                     ) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE for the sign-in page."""
    response = render(request, "security/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": ceil(cooloff_seconds() / 60),
    }, status=429)
    response["Retry-After"] = str(cooloff_seconds())
    return response


def token_throttled() -> Throttled:
    """For the token endpoint: DRF answers 429 with Retry-After from this."""
    return Throttled(wait=cooloff_seconds(), detail=message())


def username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username axes would read, cut to what its tables hold.

    Nothing bounds a username posted to the sign-in forms or the token endpoint, and axes
    writes it to a 255-character column: on PostgreSQL a longer one was a 500.
    """
    data = credentials or getattr(request, "data", request.POST)
    value = data.get("username")
    return None if value is None else str(value)[:255]
