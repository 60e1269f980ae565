"""The parts of a request its sender chooses freely, each with where it was found.

Query parameters, form fields and JSON strings (names and keys too), User-Agent and a
Referer from another site. Locations read "query:q", "form:name", "json:$.a.b[0]" and
"header:User-Agent". Each source is read up to INSPECTION_MAX_BODY_BYTES characters; a body
is parsed only when Django would accept it (DATA_UPLOAD_MAX_MEMORY_SIZE), and a multipart
body only when it is small, so an upload is never read here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import BadRequest, TooManyFieldsSent
from django.http import HttpRequest

HEADERS = ("User-Agent", "Referer")

# Never inspected: secrets are hashed or encrypted, never rendered nor put in SQL, random ones
# are the likeliest false positives, and a match would store them in a security event.
_SECRET = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)


def request_values(request: HttpRequest) -> Iterator[tuple[str, str]]:
    """(location, value) pairs, names and keys at the location they name."""
    limit = settings.INSPECTION_MAX_BODY_BYTES
    yield from _within(_fields("query", _lists(request, "GET")), limit)
    yield from _within(_body(request), limit)
    yield from _headers(request, limit)


def _lists(request: HttpRequest, attribute: str) -> Iterable[tuple[str, list[str]]]:
    try:
        return getattr(request, attribute).lists()
    except (TooManyFieldsSent, BadRequest):
        # Not kept on the request: the app meets the same error where it reads the fields,
        # and answers 400 there, on its route, as if nothing had been inspected.
        return []


def _within(values: Iterable[tuple[str, str]], limit: int) -> Iterator[tuple[str, str]]:
    budget = limit
    for location, value in values:
        if budget <= 0:
            return
        yield location, value[:budget]
        budget -= len(value)


def _fields(source: str, lists: Iterable[tuple[str, list[str]]]) -> Iterator[tuple[str, str]]:
    for name, values in lists:
        if _SECRET.search(name):
            continue
        location = f"{source}:{name}"
        yield location, name
        for value in values:
            yield location, value


def _body(request: HttpRequest) -> Iterator[tuple[str, str]]:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length <= 0 or length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return  # nothing to read, or a body Django refuses (400) when the view reads it
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            document = json.loads(request.body)  # cached on the request for the view
        except (ValueError, RecursionError):
            return  # the view answers 400
        yield from _json(document)
    elif request.method == "POST" and (
        content_type == "application/x-www-form-urlencoded"
        or (content_type == "multipart/form-data" and length <= settings.INSPECTION_MAX_BODY_BYTES)
    ):
        yield from _fields("form", _lists(request, "POST"))


def _json(document: object) -> Iterator[tuple[str, str]]:
    # Depth-first with an explicit stack: a deeply nested body must not exhaust recursion.
    stack = [("$", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield f"json:{path}", node
        elif isinstance(node, dict):
            children = []
            for key, value in node.items():
                if _SECRET.search(key):
                    continue
                child = f"{path}.{key}"
                yield f"json:{child}", key
                children.append((child, value))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(node)]))


def _headers(request: HttpRequest, limit: int) -> Iterator[tuple[str, str]]:
    for name in HEADERS:
        value = request.headers.get(name)
        if not value:
            continue
        # Our own pages' URLs come back as Referer: their query was inspected when requested.
        if name == "Referer" and _host(value) == request.get_host():
            continue
        yield f"header:{name}", value[:limit]


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).netloc
    except ValueError:  # "http://[" and other unparsable URLs
        return None
