"""GET /api/v1/feed/security: the security feed for SIEMs, as NDJSON pages behind a cursor."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from m365admin import feed
from m365admin.choices import Severity
from m365admin.models.feed import FeedRecord, FeedType

NEXT_CURSOR = "Feed-Next-Cursor"
DEFAULT_LIMIT = 500


class NDJSONRenderer(BaseRenderer):
    """One JSON object a line. Errors are one line too ({"detail": …}), or JSON for clients
    that accept only JSON."""

    media_type = "application/x-ndjson"
    format = "ndjson"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        rows = data if isinstance(data, list) else [data]
        return "".join(feed.dumps(row) + "\n" for row in rows).encode()


class ByAcceptHeader(DefaultContentNegotiation):
    """The Accept header alone picks NDJSON or JSON (for errors): DRF's `?format=` would make
    an unknown value a 404."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]  # duck-typed


class TenantRefSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The tenant's Entra ID tenant ID (or domain).")
    name = serializers.CharField()


class FeedLineSerializer(serializers.Serializer[Any]):
    """One line of the feed (documentation only: the fields after `severity` depend on the
    type, see docs/security.md)."""

    type = serializers.ChoiceField(choices=FeedType.choices)
    id = serializers.CharField(help_text="The record's id: unique, never reused; what a "
                                         "receiver deduplicates by.")
    object_id = serializers.CharField(help_text="The event's or finding's id, or the alert's "
                                                "code: shared by later records of the same object.")
    cursor = serializers.CharField(help_text="Resume after this record with ?after=<cursor>.")
    time = serializers.DateTimeField(help_text="When it happened (ISO 8601, UTC offset).")
    recorded = serializers.DateTimeField(help_text="When the record was written.")
    tenant = TenantRefSerializer(allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    kind = serializers.CharField(required=False, help_text="security_event and finding: the "
                                                           "event's kind.")
    title = serializers.CharField(required=False)
    status = serializers.CharField(required=False, help_text="alert: the status it moved to.")


class SecurityFeedView(APIView):
    """Security events, detection findings and alert changes in commit order."""

    queryset = FeedRecord.objects.all()  # read permission: m365admin.view_feedrecord
    renderer_classes = [NDJSONRenderer, JSONRenderer]
    content_negotiation_class = ByAcceptHeader

    @extend_schema(
        summary="Security feed (NDJSON) for SIEMs",
        description=(
            "Security events, detection findings and alert changes, one JSON object a line "
            "(`application/x-ndjson`), oldest first in the order they were committed. Start "
            "without `after`; then pass the `Feed-Next-Cursor` header (or the last line's "
            "`cursor`) as `after`. A page shorter than `limit` means you are up to date: ask "
            "again later with the same cursor. No record is skipped or repeated, even while "
            "records are being written."
        ),
        parameters=[
            OpenApiParameter("format", exclude=True),  # ByAcceptHeader
            OpenApiParameter("after", OpenApiTypes.STR, description=(
                "The cursor after which to read (from `Feed-Next-Cursor` or a line's "
                "`cursor`); absent: from the first record.")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=(
                f"Records per page, 1 to {settings.FEED_PAGE_MAX} (default {DEFAULT_LIMIT}).")),
            OpenApiParameter(NEXT_CURSOR, OpenApiTypes.STR, location=OpenApiParameter.HEADER,
                             response=[200], description=(
                                 "Where the next page starts: the last record's cursor, or "
                                 "`after` again when the page is empty.")),
        ],
        responses={(200, NDJSONRenderer.media_type): OpenApiResponse(
            FeedLineSerializer(many=True), description="One record a line.")},
    )
    def get(self, request: Request) -> HttpResponseBase:
        after = self._after(request.query_params.get("after", ""))
        limit = self._limit(request.query_params.get("limit", ""))
        records = feed.page(after, limit)
        cursor = feed.Cursor.of(records[-1]) if records else after
        # Not DRF's Response: it drops the Content-Type of an empty body (an empty page).
        body = NDJSONRenderer().render([feed.line(record) for record in records])
        return HttpResponse(body, content_type=f"{NDJSONRenderer.media_type}; charset=utf-8",
                            headers={NEXT_CURSOR: str(cursor)})

    @staticmethod
    def _after(text: str) -> feed.Cursor:
        if not text:
            return feed.Cursor()
        try:
            return feed.Cursor.parse(text)
        except feed.BadCursor as exc:
            raise ValidationError({"detail": f"after: {exc}"}) from None

    @staticmethod
    def _limit(text: str) -> int:
        if not text:
            return DEFAULT_LIMIT
        if not text.isdecimal() or not 1 <= int(text) <= settings.FEED_PAGE_MAX:
            raise ValidationError({"detail": f"limit must be a whole number from 1 to "
                                             f"{settings.FEED_PAGE_MAX}, not {text[:20]!r}."})
        return int(text)
