"""Lenient readers for Graph values (CONTRACT 1.9): bad values become None, never exceptions.

Graph sends dates with up to seven fractional digits, "" and 0001-01-01T00:00:00Z for "no
value", enums in either case with new members appearing at any time, and nulls anywhere.
"""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime
from typing import Any

# Graph's "no value" for a timestamp (signInActivity and others).
_NULL_DATETIME_PREFIX = "0001-01-01"


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith(_NULL_DATETIME_PREFIX):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Graph's timestamps are UTC; a value without an offset is read as UTC, not local time.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return None if parsed.year == 1 else parsed


def parse_ip(value: object) -> str | None:
    """An IPv4 or IPv6 address, or None; the database normalises its spelling."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    # inet_pton is C and an order of magnitude faster than ipaddress: this runs per sign-in.
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, value)
        except OSError:
            continue
        return value
    return None


def parse_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def parse_bool(value: Any) -> bool | None:
    """JSON booleans, and the "True"/"False" strings of the CSV reports."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return None


def text(value: Any, limit: int) -> str:
    """A string column's value: None becomes "", overlong values are cut to the column."""
    if value is None:
        return ""
    return str(value)[:limit]


def obj(value: Any) -> dict[str, Any]:
    """A nested object that may be missing or null."""
    return value if isinstance(value, dict) else {}
