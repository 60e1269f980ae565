"""Recording security events: one row each, with the request's context when there is one."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from security import feed
from security.choices import EVENT_SEVERITY, EventKind
from security.models import SecurityEvent


def record(kind: EventKind, *, request: HttpRequest | None = None, username: str = "",
           location: str = "", blocked: bool = False, **details) -> SecurityEvent:
    fields = {}
    if request is not None:
        fields = {"ip_address": getattr(request, "client_ip", None),
                  "method": request.method or "", "path": _text(request.path[:500])}
    details = {name: _text(value) if isinstance(value, str) else value
               for name, value in details.items()}
    with transaction.atomic():
        event = SecurityEvent.objects.create(
            kind=kind, severity=EVENT_SEVERITY[kind], username=_text(username[:254]),
            location=_text(location), blocked=blocked, details=details, **fields,
        )
        feed.publish(event)
    return event


def _text(value: str) -> str:
    # A request can carry NUL ("/users/%00") or half a surrogate pair (JSON "\ud800"), which
    # the databases refuse in text: recording it would turn the request into a 500.
    return value.encode("utf-8", "replace").decode().replace("\x00", "\ufffd")
