"""The health-check registry: one check per component, found beside its app's code, in display
order, and a loud failure when a component has none or two."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from m365admin.choices import Component, HealthStatus
from m365admin.lib.health import Health
from m365admin.registry.health import checks, health_check, in_display_order


def _up(timeout: float) -> Health:
    return Health(Component.API, HealthStatus.UP, 1.0, "fine")


def test_every_component_has_the_check_its_app_registers_in_display_order():
    found = checks()
    assert list(found) == [component.value for component in Component]
    assert {component: check.__module__ for component, check in found.items()} == {
        "api": "monitoring.health.api",
        "database": "monitoring.health.database",
        "graph": "collectors.health.graph",
        "exchange": "collectors.health.exchange",
        "auth": "collectors.health.auth",
        "cache": "monitoring.health.cache",
        "queue": "collectors.health.queue",
    }


def test_a_component_without_a_check_fails_loudly():
    registered = {name: check for name, check in checks().items() if name != "exchange"}
    with pytest.raises(ImproperlyConfigured, match="no health check registered for exchange"):
        in_display_order(registered)


def test_a_second_check_for_a_component_fails_loudly_and_keeps_the_first():
    before = checks()["api"]
    with pytest.raises(ImproperlyConfigured, match="two health checks for the 'api' component"):
        health_check(Component.API)(_up)
    assert checks()["api"] is before


def test_the_same_check_imported_again_is_not_a_second_one():
    api_check = checks()["api"]
    assert health_check(Component.API)(api_check) is api_check
