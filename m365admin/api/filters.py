"""The API's filter backend: django-filter's, with no filter set built when no query
parameter is for it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request


class FilterBackend(DjangoFilterBackend):
    """A filter set copies each of its filters and builds and validates a form on every
    request (about 1 ms of a 1-row list request, bench/api.py). With no parameter for any of
    its filters (a list's first page, paging on) every filter would pass the rows through, so
    none is built. A filter set with a required filter is always built: it refuses the
    request."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any],
                        view: Any) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not _asked_for(request, filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)  # type: ignore[no-any-return]


def _asked_for(request: Request, filters: dict[str, Any]) -> bool:
    # A filter's form field reads its name, or its name and a suffix ("created_after").
    prefixes = tuple(f"{name}_" for name in filters)
    return (any(filter_.extra.get("required") for filter_ in filters.values())
            or any(param in filters or param.startswith(prefixes)
                   for param in request.query_params))
