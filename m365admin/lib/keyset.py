"""Keyset-pagination cursors: the (time, id) of the last row shown, as an opaque token.

The token is signed so that a truncated or hand-edited cursor is refused in so many words
instead of quietly starting somewhere else; it grants nothing, since the filters decide what
can be seen.
"""

from __future__ import annotations

from datetime import datetime

from django.core import signing

_SALT = "m365admin.keyset"


class BadCursor(ValueError):
    """The cursor was not issued by this server, or is damaged."""


def encode(created: datetime, pk: int) -> str:
    return signing.dumps([created.isoformat(), pk], salt=_SALT)


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        created, pk = signing.loads(cursor, salt=_SALT)
        return datetime.fromisoformat(created), int(pk)
    except (signing.BadSignature, TypeError, ValueError):
        raise BadCursor(cursor) from None
