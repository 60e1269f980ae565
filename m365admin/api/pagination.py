"""The API's paging: limit/offset by default, with a cap so one request cannot ask for
everything; keyset (cursor) paging for the lists that grow without bound."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    # DRF's own class has no cap: ?limit=10000000 would serialize a whole table in one response.
    max_limit = 1000


class KeysetPagination(pagination.CursorPagination):
    """Keyset (cursor) paging: stable and cheap at any depth of a large table.

    A cursor the API did not issue is bad input, so it is a 400 that says what to do, not
    DRF's 404 (the list exists; only the cursor is wrong)."""

    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [_(
                "This cursor was not issued by this API. Follow the `next` or `previous` "
                "link of a page, or leave the cursor out for the first page.")]}) from None
