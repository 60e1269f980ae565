"""The OpenAPI schema's generator: drf-spectacular's, plus the error answers every operation
shares, so no view has to repeat them and endpoints added later are described alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django_filters.conf import settings as filter_settings
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

if TYPE_CHECKING:
    from django_filters import Filter
    from drf_spectacular.utils import Direction

# What drf-spectacular's preprocessing hooks get: (path, path_regex, method, view callback).
Endpoint = tuple[str, str, str, Callable[..., Any]]


class ErrorSerializer(serializers.Serializer[Any]):
    """DRF's error body: one sentence in `detail` (simplejwt adds `code` and `messages`)."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class ValidationErrorSerializer(serializers.Serializer[Any]):
    """A 400: either one `detail`, or the messages per field that was wrong."""

    detail = serializers.CharField(required=False)


# A free-form JSON object: figures whose keys follow the data (metrics, database statistics).
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT, description="A JSON object (see the summary).")
CONFLICT = OpenApiResponse(ErrorSerializer, description="The current state does not allow it.")

_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before trying again.",
    }
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_codes():
            if code in responses:
                continue
            serializer = ValidationErrorSerializer if code == "400" else ErrorSerializer
            # drf-spectacular leaves _get_response_for_code and _get_request_body unannotated.
            responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                OpenApiResponse(serializer, description=description), code, direction=direction)
        responses["429"].setdefault("headers", {}).update(_RETRY_AFTER)
        return responses

    def _error_codes(self) -> list[tuple[str, str]]:
        codes = []
        if self._get_parameters() or self._get_request_body():  # type: ignore[no-untyped-call]
            codes.append(("400", "Malformed parameters or body."))
        codes += [("401", "No credentials, or an expired or invalid token."),
                  ("403", "The caller's role does not allow this.")]
        if "{" in self.path:
            codes.append(("404", "No such object."))
        codes.append(("429", "Too many requests from this user or address."))
        return codes


def drop_slashed_twins(endpoints: list[Endpoint]) -> list[Endpoint]:
    """Drop `…/x/` where `…/x` serves the same view: the router's trailing-slash copy of an
    action whose documented URL has none (preprocessing hook)."""
    plain = {(path, method) for path, _, method, _ in endpoints if not path.endswith("/")}
    return [(path, regex, method, view) for path, regex, method, view in endpoints
            if not (path.endswith("/") and (path.rstrip("/"), method) in plain)]


# drf-spectacular's __init_subclass__ (which registers the extension) is unannotated.
class FilterSetExtension(DjangoFilterExtension):  # type: ignore[no-untyped-call]
    """drf-spectacular's description of django-filter's filters, without its side effect:
    reading `.field` of a filter set's class-level filters built and cached their form
    fields before they knew their model, so every later form lost its labels ("None: Select
    a valid choice")."""

    priority = 1

    def _get_explicit_filter_choices(self, filter_field: Filter) -> list[Any] | None:
        if "choices" not in filter_field.extra or callable(filter_field.extra["choices"]):
            # drf-spectacular's, unannotated: None without choices, [] for callable ones.
            return cast(
                "list[Any] | None",
                super()._get_explicit_filter_choices(filter_field),  # type: ignore[no-untyped-call]
            )
        choices = [value for value, _ in filter_field.extra["choices"]]
        if filter_field.extra.get("null_label") is not None:
            choices.append(getattr(filter_field, "null_value", filter_settings.NULL_CHOICE_VALUE))
        return choices
