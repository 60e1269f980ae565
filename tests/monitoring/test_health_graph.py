"""The Graph check against the simulator: token, cheap call, breakers, throttling, stale syncs."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from collectors.clients import client_for
from collectors.graph import GraphUnavailable
from collectors.health import graph
from collectors.simulator import Fault
from m365admin.choices import Collector, Component, HealthStatus, SyncStatus
from m365admin.models import SyncRun
from tests.factories import make_rows

pytestmark = pytest.mark.django_db

TIMEOUT = 0.5


def _synced(tenant, collectors, *, ago=timedelta(0), status=SyncStatus.SUCCEEDED):
    finished = timezone.now() - ago
    make_rows(SyncRun, tenant, len(collectors), collector=lambda i: collectors[i],
              status=status, started=finished, finished=finished)


def test_it_is_up_with_no_tenants():
    health = graph.check(TIMEOUT)
    assert (health.component, health.status) == (Component.GRAPH, HealthStatus.UP)
    assert health.reason == "no tenants configured"


def test_it_is_up_when_the_tenant_answers(sim_tenant):
    tenant, _ = sim_tenant
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.UP
    assert health.reason.startswith("1 tenant answers in ")
    [part] = health.details["tenants"]
    assert part["tenant"] == tenant.name and part["status"] == "up"
    assert part["problems"] == [] and part["stale_syncs"] == []
    assert part["throttled"] == 0 and part["breakers"] == {}


def test_it_is_down_when_graph_answers_503(sim_tenant, simulator):
    tenant, _spec = sim_tenant
    simulator.faults.add(Fault("status", path="organization", status=503, times=None))
    started = time.perf_counter()
    health = graph.check(TIMEOUT)
    assert time.perf_counter() - started < TIMEOUT
    assert health.status == HealthStatus.DOWN
    assert health.reason == f"{tenant.name}: Graph answered HTTP 503 serviceNotAvailable"


def test_one_failing_tenant_of_two_is_degraded(make_sim_tenant, simulator):
    failing, spec = make_sim_tenant(users=5, signins=0)
    healthy, _ = make_sim_tenant(users=5, signins=0)
    simulator.faults.add(Fault("status", path="organization", status=503, times=None,
                               tenant=spec.tenant_id))
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason.startswith(f"{failing.name}: ")
    assert healthy.name not in health.reason
    statuses = {part["tenant"]: part["status"] for part in health.details["tenants"]}
    assert statuses == {failing.name: "down", healthy.name: "up"}


def test_a_refused_token_is_down_with_the_identity_platform_error(sim_tenant):
    tenant, _ = sim_tenant
    tenant.set_client_secret("wrong-secret-value-123")
    tenant.save()
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.DOWN
    assert "AADSTS7000215" in health.reason and "wrong-secret-value-123" not in health.reason


def test_it_is_down_within_the_timeout_when_graph_hangs(sim_tenant, simulator):
    simulator.faults.add(Fault("delay", path="organization", seconds=2, times=None))
    graph.check(TIMEOUT)  # fetches the token first, so the call alone is timed below
    started = time.perf_counter()
    health = graph.check(TIMEOUT)
    assert time.perf_counter() - started < TIMEOUT + 0.3
    assert health.status == HealthStatus.DOWN
    assert "timed out" in health.reason


def test_a_throttled_probe_is_degraded(sim_tenant, simulator):
    tenant, _ = sim_tenant
    simulator.faults.add(Fault("status", path="organization", status=429, retry_after="5"))
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason == f"{tenant.name}: Graph throttled the probe (HTTP 429)"


def test_many_429s_since_the_last_check_are_degraded_once(sim_tenant, simulator):
    tenant, _ = sim_tenant
    collectors_client = client_for(tenant)
    collectors_client.sleep = lambda seconds: None  # still counted as waited
    simulator.faults.add(Fault("status", path="organization", status=429, retry_after="30",
                               times=2))
    collectors_client.get("/v1.0/organization")  # a sync that had to wait twice
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason == (f"{tenant.name}: 2 throttled requests and 60 s waiting to retry "
                             "since the last check")
    [part] = health.details["tenants"]
    assert (part["throttled"], part["waited_s"]) == (2, 60.0)
    assert graph.check(TIMEOUT).status == HealthStatus.UP  # counted since the last check only


def test_an_open_circuit_breaker_is_degraded(sim_tenant, simulator):
    tenant, _ = sim_tenant
    collectors_client = client_for(tenant)
    collectors_client.sleep = lambda seconds: None
    simulator.faults.add(Fault("status", path="/v1.0/users", status=503, times=None))
    with pytest.raises(GraphUnavailable):
        collectors_client.get("/v1.0/users")
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason.endswith("circuit breaker open for users")
    assert health.details["tenants"][0]["breakers"]["users"] == "open"


def test_a_stale_collector_is_degraded_naming_it_and_the_tenant(sim_tenant):
    tenant, _ = sim_tenant
    tenant.created = timezone.now() - timedelta(days=3)
    tenant.save()
    _synced(tenant, [c for c in Collector if c not in (Collector.SIGNINS, Collector.TEAMS)])
    _synced(tenant, [Collector.TEAMS], status=SyncStatus.SKIPPED)  # no licence: not stale
    _synced(tenant, [Collector.SIGNINS], ago=timedelta(hours=1))  # every 5 min, 3 missed
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason == f"{tenant.name}: stale syncs: signins (60 min ago)"


def test_a_collector_that_never_ran_is_stale_once_the_tenant_is_old_enough(sim_tenant):
    tenant, _ = sim_tenant
    tenant.created = timezone.now() - timedelta(minutes=30)
    tenant.save()
    _synced(tenant, [c for c in Collector if c != Collector.SIGNINS])
    _synced(tenant, [Collector.SIGNINS], status=SyncStatus.FAILED)
    health = graph.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason.endswith("stale syncs: signins (never)")
