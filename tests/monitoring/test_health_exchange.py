"""The Exchange Online check, from synced service health."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from collectors.health import exchange
from m365admin.choices import Component, HealthStatus
from m365admin.models import ServiceHealth
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

TIMEOUT = 0.5


def _exchange(tenant, status="serviceOperational", synced_ago=timedelta(0)):
    make_rows(ServiceHealth, tenant, service_id="Exchange", service="Exchange Online",
              status=status, synced=timezone.now() - synced_ago)


def test_it_is_up_with_no_tenants():
    health = exchange.check(TIMEOUT)
    assert (health.component, health.status) == (Component.EXCHANGE, HealthStatus.UP)
    assert health.reason == "no tenants configured"


def test_it_is_up_when_exchange_is_operational():
    tenant = make_tenant()
    _exchange(tenant)
    health = exchange.check(TIMEOUT)
    assert health.status == HealthStatus.UP
    assert health.reason == "operational for 1 tenant"
    assert health.details["tenants"][0]["service_status"] == "serviceOperational"


@pytest.mark.parametrize(("status", "expected"), [
    ("serviceDegradation", HealthStatus.DEGRADED),
    ("investigating", HealthStatus.DEGRADED),
    ("serviceInterruption", HealthStatus.DOWN),
    ("somethingNewFromMicrosoft", HealthStatus.DEGRADED),
])
def test_the_status_follows_the_service_health(status, expected):
    tenant = make_tenant(name="Contoso")
    _exchange(tenant, status)
    health = exchange.check(TIMEOUT)
    assert health.status == expected
    assert health.reason == f"Contoso: Exchange Online reports {status}"


def test_one_interrupted_tenant_of_two_is_degraded():
    _exchange(make_tenant(name="Contoso"), "serviceInterruption")
    _exchange(make_tenant(name="Fabrikam"))
    health = exchange.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason == "Contoso: Exchange Online reports serviceInterruption"


def test_it_is_degraded_before_service_health_was_synced():
    tenant = make_tenant(name="Contoso")
    make_rows(ServiceHealth, tenant, service_id="OrgLiveID", service="Identity Service")
    health = exchange.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason == "Contoso: service health not synced yet"


def test_stale_service_health_is_degraded(settings):
    settings.SYNC_SERVICE_HEALTH_MINUTES = 5
    settings.HEALTH_STALE_SYNC_INTERVALS = 3
    _exchange(make_tenant(name="Contoso"), synced_ago=timedelta(minutes=40))
    health = exchange.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason == "Contoso: service health last synced 40 min ago"


def test_disabled_tenants_are_left_out():
    _exchange(make_tenant(enabled=False), "serviceInterruption")
    assert exchange.check(TIMEOUT).reason == "no tenants configured"
