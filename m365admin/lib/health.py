"""What every health check returns, and the small helpers the checks share (in the base:
checks live beside what they look at, in any app; m365admin/registry/health.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from m365admin.texts import Message, english, message


@dataclass(frozen=True)
class Health:
    component: str  # a m365admin.choices.Component value
    status: str  # a HealthStatus value
    latency_ms: float | None
    # One line an operator understands, language-neutral (m365admin/texts.py): rendered in
    # each reader's language where it is shown.
    message: Message
    details: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable facts

    @property
    def reason(self) -> str:
        """The message in English, for the log and the reason column."""
        return english(self.message)


def ms_since(started: float) -> float:
    """Milliseconds since a time.perf_counter() reading."""
    return (time.perf_counter() - started) * 1000


def ms(value: float) -> str:
    """'0.4', '12' (milliseconds): a tenth of a millisecond matters only below ten."""
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def error_text(exc: BaseException) -> str:
    """The first line of an error ('connection refused'), or its type when it says nothing."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def age(seconds: float) -> dict[str, Any]:
    """'45 s', '12 min', '5 h' or '3 days': how long ago, at a glance."""
    if seconds < 120:
        return message("age.seconds", n=round(seconds))
    if seconds < 2 * 3600:
        return message("age.minutes", n=round(seconds / 60))
    if seconds < 2 * 86400:
        return message("age.hours", n=round(seconds / 3600))
    return message("age.days", n=round(seconds / 86400))
