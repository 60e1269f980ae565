"""The API's default paging: limit/offset, with a cap so one request cannot ask for everything."""

from __future__ import annotations

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    # DRF's own class has no cap: ?limit=10000000 would serialize a whole table in one response.
    max_limit = 1000
