"""Keeps the latest result per component in ComponentHealth and shapes the tick's "health" list."""

from __future__ import annotations

from datetime import datetime

import msgspec
from django.utils import timezone

from m365admin.choices import Component
from m365admin.lib.health import Health
from m365admin.texts import render
from monitoring import messages
from monitoring.models import ComponentHealth

_ORDER = {component.value: index for index, component in enumerate(Component)}
_REASON_MAX = ComponentHealth._meta.get_field("reason").max_length


def record(results: list[Health], now: datetime | None = None) -> list[messages.ComponentHealth]:
    """Upsert ComponentHealth rows (one per component; `since` changes only when the status
    changes) and return the tick's "health" list, in Component order."""
    now = now or timezone.now()
    previous = {
        row.component: row
        for row in ComponentHealth.objects.filter(component__in=[r.component for r in results])
    }
    rows = []
    for result in sorted(results, key=lambda r: _ORDER[r.component]):
        known = previous.get(result.component)
        rows.append(ComponentHealth(
            component=result.component,
            status=result.status,
            latency_ms=result.latency_ms,
            reason=result.reason[:_REASON_MAX],
            reason_message=_cut(result.message),
            details=result.details,
            checked=now,
            since=known.since if known is not None and known.status == result.status else now,
        ))
    ComponentHealth.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["component"],
        update_fields=["status", "latency_ms", "reason", "reason_message", "details", "checked",
                       "since"],
    )
    return [_as_message(row) for row in rows]


def latest() -> list[messages.ComponentHealth]:
    """The stored results as the tick's "health" list, in Component order."""
    rows = sorted(ComponentHealth.objects.all(), key=lambda row: _ORDER[row.component])
    return [_as_message(row) for row in rows]


def in_words(entries: list[messages.ComponentHealth]) -> list[messages.ComponentHealth]:
    """The tick's "health" list with each reason in the active language."""
    return [msgspec.structs.replace(entry, reason=render(entry.reason)) for entry in entries]


def _cut(message):
    return message[:_REASON_MAX] if isinstance(message, str) else message


def _as_message(row: ComponentHealth) -> messages.ComponentHealth:
    """A health entry of the tick; its reason language-neutral (in_words puts it in words),
    or the English line a row from before stored."""
    return messages.ComponentHealth(
        component=str(row.component),
        status=str(row.status),
        latency_ms=None if row.latency_ms is None else round(row.latency_ms, 1),
        reason=row.reason_message or row.reason,
        since=row.since.timestamp(),
    )
