"""record(): one ComponentHealth row per component, and the tick's "health" list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from m365admin.choices import Component, HealthStatus
from m365admin.lib.health import Health
from monitoring.health import record
from monitoring.models import ComponentHealth

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _all(status=HealthStatus.UP, reason="fine") -> list[Health]:
    return [Health(c.value, status, 2.345, reason, {"n": 1}) for c in Component]


def test_it_stores_one_row_per_component_and_returns_the_tick_list():
    health = record(_all(), now=T0)
    assert [h.component for h in health] == [c.value for c in Component]
    assert msgspec.to_builtins(health[0]) == {
        "component": "api", "status": "up", "latency_ms": 2.3, "reason": "fine",
        "since": T0.timestamp()}
    row = ComponentHealth.objects.get(component=Component.DATABASE)
    assert (row.status, row.reason, row.details, row.checked, row.since) == (
        "up", "fine", {"n": 1}, T0, T0)


def test_since_stays_while_the_status_stays_and_moves_when_it_changes():
    record(_all(), now=T0)
    later = T0 + timedelta(seconds=30)
    results = _all(reason="still fine")
    results[1] = Health(Component.DATABASE, HealthStatus.DOWN, None, "database unreachable: x")
    health = {h.component: h for h in record(results, now=later)}
    assert health["api"].since == T0.timestamp()
    assert health["database"].since == later.timestamp()
    assert health["database"].latency_ms is None
    api = ComponentHealth.objects.get(component=Component.API)
    assert (api.reason, api.checked, api.since) == ("still fine", later, T0)
    assert ComponentHealth.objects.count() == len(Component)


def test_it_returns_component_order_whatever_order_it_gets():
    health = record(list(reversed(_all())), now=T0)
    assert [h.component for h in health] == [c.value for c in Component]


def test_a_long_reason_is_cut_to_fit():
    results = _all(reason="x" * 800)
    health = record(results, now=T0)
    assert len(health[0].reason) == 500
    assert len(ComponentHealth.objects.get(component=Component.API).reason) == 500
