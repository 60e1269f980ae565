"""Fast list pages: the serializer's fields read with `.values()` and encoded by msgspec.

DRF's serializers build every field of every row in Python (get_attribute, to_representation,
a model instance per row), several times the cost of reading the rows; a page of 200 sign-ins
spent most of its time there. `ValuesListMixin.list` reads the same fields in one `.values()`
query instead, following a plan made once per serializer class from its own fields, so the
serializer stays the one description of the answer (the schema, retrieve, the browsable API)
and the JSON is the same (tests/m365admin/test_api_rows.py compares them row by row).

A field maps to a values() path from its `source` ("tenant.code" → tenant__code, an
annotation's name); date-times are moved to the active time zone as DRF does; a field that is
no column (a model property, a method field) is computed from the row by the serializer's
`computed_from_values` entry for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import msgspec
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import fields as drf_fields
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    # What the mixin is mixed into: a viewset's generic view (any model).
    _ListingView = GenericAPIView[Any]
else:  # a plain mixin at run time
    _ListingView = object

# A row as `.values()` reads it: values() paths to values.
Row = dict[str, Any]


@dataclass(frozen=True)
class Computed:
    """A field computed from other values of its row: `reads` are the values() paths it
    needs, `compute(row, serializer_context)` returns its representation."""

    reads: tuple[str, ...]
    compute: Callable[[Row, Mapping[str, Any]], Any]


# Fields whose representation of a database value is that value (msgspec writes UUIDs, dates
# and JSON as DRF does); any other field type goes through its own to_representation.
_AS_IS = (drf_fields.CharField, drf_fields.ChoiceField, drf_fields.BooleanField,
          drf_fields.IntegerField, drf_fields.FloatField, drf_fields.UUIDField,
          drf_fields.DateField, drf_fields.JSONField)


class RowPlan:
    """How one serializer's fields are read from `.values()` and represented."""

    def __init__(self, serializer_class: type[serializers.Serializer[Any]]) -> None:
        computed: dict[str, Computed] = getattr(serializer_class, "computed_from_values", {})
        self.paths: list[str] = []
        self.pairs: list[tuple[str, str]] = []  # (field name, values() key), in field order
        self.datetimes: list[str] = []
        self.converted: list[tuple[str, Callable[[Any], Any]]] = []
        self.computed: list[tuple[str, Computed]] = []
        for name, field in serializer_class().fields.items():
            if name in computed:
                self._read(*computed[name].reads)
                # A placeholder keeps the field's place in the order; computed below.
                self.pairs.append((name, computed[name].reads[0]))
                self.computed.append((name, computed[name]))
                continue
            path = "__".join(field.source_attrs)
            self._read(path)
            self.pairs.append((name, path))
            if isinstance(field, drf_fields.DateTimeField):
                self.datetimes.append(name)
            elif not isinstance(field, _AS_IS):
                self.converted.append((name, field.to_representation))

    def _read(self, *paths: str) -> None:
        self.paths += [path for path in paths if path not in self.paths]

    def select(self, queryset: QuerySet[Any]) -> QuerySet[Any, Row]:
        return queryset.values(*self.paths)

    def represent(self, rows: Iterable[Row], context: Mapping[str, Any]) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()
        # psycopg returns UTC date-times; DRF shows them in the active zone.
        datetimes = [] if str(zone) == "UTC" else self.datetimes
        items: list[dict[str, Any]] = []
        for row in rows:
            item = {name: row[key] for name, key in self.pairs}
            for name in datetimes:
                if item[name] is not None:
                    item[name] = item[name].astimezone(zone)
            for name, convert in self.converted:
                if item[name] is not None:
                    item[name] = convert(item[name])
            for name, computed in self.computed:
                item[name] = computed.compute(row, context)
            items.append(item)
        return items


@functools.cache
def plan_for(serializer_class: type[serializers.Serializer[Any]]) -> RowPlan:
    return RowPlan(serializer_class)


_drf_encoder = renderers.JSONRenderer.encoder_class()


def _fallback(value: Any) -> Any:
    # msgspec leaves subclasses of str (DRF's ErrorDetail) to the hook, json.dumps does not.
    return str(value) if isinstance(value, str) else _drf_encoder.default(value)


class MsgspecJSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, encoding with msgspec (about ten times faster than json.dumps).

    Types msgspec does not know (lazy translations, ErrorDetail…) go to DRF's encoder; DRF's indent
    (`application/json; indent=4`, the browsable API) and \\u2028/\\u2029 escapes are kept.
    """

    _encoder = msgspec.json.Encoder(enc_hook=_fallback,
                                    decimal_format="number")

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if data is None:
            return b""
        encoded = self._encoder.encode(data)
        indent = self.get_indent(
            accepted_media_type,  # type: ignore[arg-type]  # DRF's own render() passes None too
            renderer_context or {})
        if indent:
            encoded = msgspec.json.format(encoded, indent=indent)
        return encoded.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(),
                                                                        b"\\u2029")


class ValuesListMixin(_ListingView):
    # `list()` through the serializer's RowPlan and msgspec, with the view's own filters,
    # ordering, pagination and permissions (for a viewset with ListModelMixin). Comments, not
    # docstrings: the schema would take them for the operations' descriptions.

    def get_renderers(self) -> list[renderers.BaseRenderer]:
        # msgspec's JSON in place of DRF's; the browsable API, when enabled, stays.
        return [MsgspecJSONRenderer() if type(renderer) is renderers.JSONRenderer else renderer
                for renderer in super().get_renderers()]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A Serializer (the stubs say BaseSerializer, which has no fields for RowPlan to read).
        plan = plan_for(cast("type[serializers.Serializer[Any]]", self.get_serializer_class()))
        queryset = plan.select(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset)
        items = plan.represent(queryset if page is None else page,
                               self.get_serializer_context())
        return Response(items) if page is None else self.get_paginated_response(items)
