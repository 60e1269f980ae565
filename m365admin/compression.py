"""gzip for data, never for pages: JSON and CSV answers (the API, the schema, the exports).

HTML pages carry the CSRF token and reflect what the visitor typed; compressed, their length
would leak those secrets a byte at a time (BREACH). Data answers hold neither, and are the
large ones (a page of 200 sign-ins is ~200 KB of JSON).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# Compressed when at least this long: below it the saving is a few hundred bytes at most.
MIN_BYTES = 1024
COMPRESSED_TYPES = ("application/json", "application/x-ndjson", "application/vnd.oai.openapi",
                    "text/csv")


class DataGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (streamed answers stay streamed, Vary and ETag handled, random
    padding), applied only to the data types above."""

    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type.startswith(COMPRESSED_TYPES):
            return response
        if isinstance(response, HttpResponse) and len(response.content) < MIN_BYTES:
            return response
        return super().process_response(request, response)
