"""Time helpers. Internally instants are integer microseconds since the Unix epoch (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
DAY_US = 86_400 * US


def to_us(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@lru_cache(maxsize=4096)
def _day(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")


def iso(us: int, fraction: bool = False) -> str:
    """ISO 8601 UTC. With fraction, 7 digits like Graph's sign-in timestamps (exact: µs + '0').
    Hand-formatted around a cached date prefix: this runs once per sign-in served and twice
    per generated user, and strftime dominated both."""
    day, rest = divmod(us, DAY_US)
    seconds, micro = divmod(rest, US)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if fraction:
        return f"{_day(day)}{hours:02d}:{minutes:02d}:{seconds:02d}.{micro:06d}0Z"
    return f"{_day(day)}{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def iso_date(us: int) -> str:
    return from_us(us).strftime("%Y-%m-%d")


def parse_iso(text: str) -> int:
    """Parse an ISO timestamp leniently (any number of fraction digits, Z or offset)."""
    text = text.strip()
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    dt = datetime.fromisoformat(text)
    return to_us(dt)


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)
