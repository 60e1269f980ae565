"""Append to the audit log, and verify its chain.

`record()` joins the caller's transaction, so an entry exists exactly when the change it
describes was committed. Appends are serialised (an advisory lock on PostgreSQL; SQLite
already serialises writers) so that each entry links to the one before it.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone, translation

from m365admin.models.audit import GENESIS, AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

# "audit" as a number: pg_advisory_xact_lock key, released when the transaction ends.
_APPEND_LOCK = 0x61756469


@dataclass(frozen=True)
class Caller:
    user: Any = None
    ip_address: str | None = None


# Set per request by security.middleware.CallerMiddleware: who and from where, for entries
# written deep inside models (an alert's transition) without passing the request down.
current_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar(
    "audit_caller", default=Caller()  # noqa: B039 — Caller is a frozen dataclass
)


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def record(action: str, target: Any = "", details: dict[str, Any] | None = None, *,
           user: AbstractBaseUser | AnonymousUser | None = None,
           ip_address: str | None = None) -> AuditEntry:
    """Append one entry. The actor and IP default to the current request's."""
    caller = current_caller.get()
    user = user if user is not None else caller.user
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    # Stored as it will read back (datetimes as text …), so the hash can be recomputed.
    details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditEntry(
            at=timezone.now(),
            actor=user.get_username() if authenticated else "",
            actor_id=user.pk if authenticated else None,
            ip_address=_ip(ip_address or caller.ip_address),
            action=action,
            target=_target(target),
            details=details,
            previous_hash=last or GENESIS,
        )
        entry.hash = entry.compute_hash()
        entry.save()
    return entry


def _target(target: Any) -> str:
    """"app.model:pk (text)" for a model instance, the text itself otherwise."""
    meta = getattr(target, "_meta", None)
    if meta is None:
        # A request path can hold NUL ("/users/%00"), which PostgreSQL refuses in text.
        return str(target)[:300].replace("\x00", "\ufffd")
    # The record is language-neutral: a name shown translated is stored as English.
    with translation.override("en"):
        return f"{meta.label_lower}:{target.pk} ({target})"[:300]


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


def verify(chunk_size: int = 5000) -> Iterator[int | Break]:
    """Walk the chain oldest first: yields each verified entry's id, then stops at a Break."""
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=chunk_size):
        if entry.previous_hash != previous:
            yield Break(entry.pk, "the entry before it was removed or changed (its link does "
                                  "not match the previous entry's hash)")
            return
        if entry.compute_hash() != entry.hash:
            yield Break(entry.pk, "its content was changed after it was written")
            return
        previous = entry.hash
        yield entry.pk
