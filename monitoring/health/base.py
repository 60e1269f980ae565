"""What every check returns, and the small helpers the checks share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Health:
    component: str  # a monitoring.choices.Component value
    status: str  # a HealthStatus value
    latency_ms: float | None
    reason: str  # one line an operator understands
    details: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable facts


def ms_since(started: float) -> float:
    """Milliseconds since a time.perf_counter() reading."""
    return (time.perf_counter() - started) * 1000


def ms_text(ms: float) -> str:
    """'0.4 ms', '12 ms': a tenth of a millisecond matters only below ten."""
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"


def error_text(exc: BaseException) -> str:
    """The first line of an error ('connection refused'), or its type when it says nothing."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def age_text(seconds: float) -> str:
    """'45 s', '12 min', '5 h' or '3 days': how long ago, at a glance."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
