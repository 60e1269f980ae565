"""Request/response values shared by the HTTP layer, the API handlers and `$batch`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import msgspec

from .odata import parse_query

JSON_TYPE = ("application/json;odata.metadata=minimal;odata.streaming=true;"
             "IEEE754Compatible=false;charset=utf-8")


@dataclass
class SimRequest:
    method: str
    target: str                      # path and query exactly as received
    headers: dict[str, str]          # lower-case names
    body: bytes = b""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    path: str = ""                   # percent-decoded path without the query
    raw_query: str = ""
    query: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        raw_path, _, self.raw_query = self.target.partition("?")
        self.path = unquote(raw_path)
        self.query = parse_query(self.raw_query)

    @property
    def decoded_target(self) -> str:
        """What fault regexes match on: `$select` rather than `%24select`."""
        return unquote(self.target)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def client_request_id(self) -> str:
        return self.headers.get("client-request-id") or self.request_id


@dataclass
class SimResponse:
    status: int
    json: Any = None
    body: bytes | None = None
    content_type: str | None = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        if self.json is None:
            return b""
        return msgspec.json.encode(self.json)


def error_body(code: str, message: str, request: SimRequest, date: str,
               inner: dict[str, Any] | None = None) -> dict[str, Any]:
    inner_error = {"date": date, "request-id": request.request_id,
                   "client-request-id": request.client_request_id, **(inner or {})}
    return {"error": {"code": code, "message": message, "innerError": inner_error}}
