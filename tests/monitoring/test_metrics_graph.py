"""/metrics counts the collectors' Graph requests, 429s and retries per tenant and collector:
real syncs against the simulator over loopback, with throttling injected, scraped through
prometheus_client's parser. The totals only grow, whatever becomes of the runs."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.clients import client_for
from collectors.simulator import Fault
from collectors.sync.runner import run_collector
from m365admin.choices import Collector, SyncStatus
from m365admin.models import SyncRun

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "scrape-token-0123456789"
COUNTERS = ("m365admin_graph_requests_total", "m365admin_graph_throttled_total",
            "m365admin_graph_retries_total")


@pytest.fixture(autouse=True)
def with_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ()


def scrape(client) -> dict[str, dict[tuple, float]]:
    """{sample name: {(tenant, collector): value}} of the Graph counters."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    found: dict[str, dict[tuple, float]] = {name: {} for name in COUNTERS}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name in found:
                assert family.type == "counter"
                found[sample.name][sample.labels["tenant"], sample.labels["collector"]] = (
                    sample.value)
    return found


def _served(simulator, spec) -> int:
    return sum(1 for record in simulator.requests if record.tenant_id == spec.tenant_id)


def test_a_throttled_sync_is_counted_and_the_totals_outlive_its_runs(
    client, simulator, sim_tenant
):
    tenant, spec = sim_tenant
    client_for(tenant).sleep = lambda seconds: None  # Retry-After honoured, not waited out
    served_before = _served(simulator, spec)
    throttle = Fault("status", path=r"/users", tenant=spec.tenant_id, status=429,
                     retry_after="1", times=2)
    simulator.faults.add(throttle)

    run = run_collector(tenant, Collector.USERS)

    assert run.status == SyncStatus.SUCCEEDED
    assert throttle.applied == 2
    served = _served(simulator, spec) - served_before
    assert (run.graph_requests, run.graph_throttled, run.graph_retries) == (served, 2, 2)
    key = (tenant.name, Collector.USERS)
    counters = scrape(client)
    assert counters["m365admin_graph_requests_total"][key] == served
    assert counters["m365admin_graph_throttled_total"][key] == 2
    assert counters["m365admin_graph_retries_total"][key] == 2

    # Pruning the runs takes nothing back; the next run adds to the totals.
    SyncRun.objects.all().delete()
    simulator.faults.add(Fault("status", path=r"/users", tenant=spec.tenant_id, status=429,
                               retry_after="1", times=1))
    again = run_collector(tenant, Collector.USERS)
    assert again.status == SyncStatus.SUCCEEDED and again.graph_throttled == 1
    later = scrape(client)
    assert later["m365admin_graph_requests_total"][key] == served + again.graph_requests
    assert later["m365admin_graph_throttled_total"][key] == 3
    assert later["m365admin_graph_retries_total"][key] == 3


def test_each_collector_counts_its_own_requests(client, simulator, sim_tenant):
    tenant, spec = sim_tenant
    client_for(tenant).sleep = lambda seconds: None
    simulator.faults.add(Fault("status", path=r"/subscribedSkus", tenant=spec.tenant_id,
                               status=429, retry_after="1", times=1))
    runs = {}
    # Sign-ins read their pages in a prefetch thread: its requests count too.
    for collector in (Collector.USERS, Collector.SKUS, Collector.SIGNINS):
        served_before = _served(simulator, spec)
        runs[collector] = run_collector(tenant, collector)
        assert runs[collector].status == SyncStatus.SUCCEEDED
        assert runs[collector].graph_requests == _served(simulator, spec) - served_before
    counters = scrape(client)
    assert counters["m365admin_graph_throttled_total"] == {
        (tenant.name, Collector.USERS): 0, (tenant.name, Collector.SKUS): 1,
        (tenant.name, Collector.SIGNINS): 0}
    assert counters["m365admin_graph_requests_total"] == {
        (tenant.name, collector): run.graph_requests for collector, run in runs.items()}
    assert runs[Collector.SKUS].graph_requests >= 2  # the 429 and its retry


def test_a_failing_run_counts_what_it_sent(client, simulator, sim_tenant):
    tenant, spec = sim_tenant
    client_for(tenant).sleep = lambda seconds: None
    simulator.faults.add(Fault("status", path=r"/subscribedSkus", tenant=spec.tenant_id,
                               status=429, retry_after="1", times=None))
    run = run_collector(tenant, Collector.SKUS)
    assert run.status == SyncStatus.FAILED
    assert run.graph_throttled == run.graph_retries + 1 > 1  # the last 429 is not retried
    counters = scrape(client)
    assert counters["m365admin_graph_throttled_total"][tenant.name, Collector.SKUS] == (
        run.graph_throttled)
