"""/metrics: Prometheus' text format read back through prometheus_client's own parser, with
the names and values the database holds; off without configuration, and guarded by a token or
source addresses."""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from m365admin.choices import AlertSource, Collector, Component, HealthStatus, Severity, SyncStatus
from m365admin.models import SignInHourly, SyncRun
from monitoring import requeststats, sampler
from monitoring.choices import AlertStatus
from monitoring.models import ComponentHealth, MetricSample, RequestStat
from tests.factories import make_alert, make_rows, make_tenant

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def with_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ()


def scrape(client) -> dict[str, list]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family.samples
            for family in text_string_to_metric_families(response.content.decode())}


def value(families, name: str, **labels) -> float:
    matches = [s.value for s in families[name] if s.name == name and s.labels == labels]
    assert len(matches) == 1, f"{name}{labels}: {families[name]}"
    return matches[0]


def test_it_does_not_exist_until_configured(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = None, ()
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


def test_it_asks_for_the_token(client, with_token):
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"},
                   {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}):
        response = client.get("/metrics", **header)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"m365admin_" not in response.content


def test_an_allowed_address_needs_no_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = (ipaddress.ip_network("10.1.0.0/16"),)
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 401


def test_addresses_alone_refuse_the_others(client, settings):
    settings.METRICS_TOKEN = None
    settings.METRICS_ALLOWED_NETWORKS = (ipaddress.ip_network("192.0.2.0/24"),)
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.1").status_code == 403


def test_it_refuses_writes(client, with_token):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


def test_it_exposes_the_stored_state(client, with_token):
    now = timezone.now()
    sampler.store(MetricSample(host="web1", cpu_percent=42.0, memory_percent=50.0,
                               app_rss_bytes=123456789, disks={"/": {"path": "/", "percent": 70}}))
    ComponentHealth.objects.create(component=Component.DATABASE, status=HealthStatus.DEGRADED,
                                   latency_ms=1500.0)
    ComponentHealth.objects.create(component=Component.GRAPH, status=HealthStatus.UP, details={
        "tenants": [{"tenant": "Contoso", "breakers": {"graph": "closed", "reports": "open"},
                     "throttled": 3}]})
    make_alert(severity=Severity.CRITICAL)
    make_alert(severity=Severity.CRITICAL)
    make_alert(severity=Severity.CRITICAL, status=AlertStatus.RESOLVED)
    tenant = make_tenant(name="Contoso")
    ok = make_rows(SyncRun, tenant, 1, collector=Collector.SIGNINS, status=SyncStatus.SUCCEEDED,
                   started=now - timedelta(minutes=10), finished=now - timedelta(minutes=9),
                   written=250)[0]
    make_rows(SyncRun, tenant, 1, collector=Collector.SIGNINS, status=SyncStatus.FAILED,
              started=now - timedelta(minutes=5), finished=now - timedelta(minutes=4, seconds=30),
              written=7)
    make_rows(SignInHourly, tenant, 2, hour=lambda i: now - timedelta(hours=i + 1),
              total=lambda i: 100 + i)

    families = scrape(client)

    assert value(families, "m365admin_host_cpu_usage_ratio", host="web1") == pytest.approx(0.42)
    assert value(families, "m365admin_app_resident_memory_bytes", host="web1") == 123456789
    assert value(families, "m365admin_host_disk_usage_ratio", host="web1", path="/") == 0.7
    assert value(families, "m365admin_component_status", component="database") == 1
    assert value(families, "m365admin_component_latency_seconds", component="database") == 1.5
    assert value(families, "m365admin_component_status", component="graph") == 0
    assert value(families, "m365admin_alerts_open", severity="critical",
                 source=AlertSource.METRIC) == 2
    assert value(families, "m365admin_alerts_open", severity="info",
                 source=AlertSource.SYNC) == 0
    labels = {"tenant": "Contoso", "collector": "signins"}
    assert value(families, "m365admin_collector_last_success_timestamp_seconds",
                 **labels) == pytest.approx(ok.finished.timestamp())
    assert value(families, "m365admin_collector_last_run_duration_seconds", **labels) == 30
    assert value(families, "m365admin_collector_last_run_items", **labels) == 7
    assert value(families, "m365admin_collector_last_run_success", **labels) == 0
    assert value(families, "m365admin_signins_stored", tenant="Contoso") == 201
    assert value(families, "m365admin_graph_breaker_open", tenant="Contoso",
                 service="reports") == 1
    assert value(families, "m365admin_graph_throttled_requests", tenant="Contoso") == 3


def test_names_follow_the_conventions(client, with_token):
    for name in scrape(client):
        assert name.startswith("m365admin_")
        assert "percent" not in name and "_ms" not in name  # base units: ratios, seconds


def test_request_latency_is_a_histogram_per_route(client, with_token):
    start = requeststats.last_complete_interval()
    buckets = [0] * (len(requeststats.BUCKETS_MS) + 1)
    buckets[0], buckets[-1] = 3, 1
    RequestStat.objects.create(
        interval_start=datetime.fromtimestamp(start, UTC), process="p1",
        route="m365admin-api:signin-list", count=4, errors=0, total_ms=20_003.0,
        max_ms=20_000.0, buckets=buckets)
    samples = scrape(client)["m365admin_http_request_duration_seconds"]
    by_bound = {s.labels["le"]: s.value for s in samples if s.name.endswith("_bucket")}
    assert by_bound["0.001"] == 3 and by_bound["10.0"] == 3 and by_bound["+Inf"] == 4


def test_the_grafana_dashboard_uses_only_exposed_metrics(client, with_token):
    dashboard = (Path(settings.BASE_DIR) / "docs" / "grafana" / "m365admin-dashboard.json")
    expressions = [target["expr"] for panel in json.loads(dashboard.read_text())["panels"]
                   for target in panel["targets"]]
    # Families are named without their samples' suffixes (histograms' _bucket, counters' _total).
    used = {re.sub(r"_(bucket|total)$", "", name)
            for name in re.findall(r"m365admin_\w+", " ".join(expressions))}
    assert used and used <= set(scrape(client))
