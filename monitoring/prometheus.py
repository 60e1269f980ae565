"""Prometheus exposition: the installation's state read from the database at scrape time.

The only prometheus_client import. Nothing is counted in process memory, so every web process
answers a scrape alike (multi-process safe without prometheus_client's multiprocess mode): the
figures are the ones the scheduler's tick, the collectors and the alert rules already store.
Names follow Prometheus conventions: the `m365admin_` prefix, base units (seconds, bytes,
ratios), `_timestamp_seconds` for moments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)

from m365admin.choices import AlertSource, Collector, Component, HealthStatus, Severity, SyncStatus
from m365admin.models import GraphUsage, SignInHourly, SyncRun, Tenant
from monitoring import requeststats, sampler
from monitoring.choices import OPEN_STATUSES
from monitoring.models import Alert, ComponentHealth

# The classic text format: every Prometheus version reads it, and our names need nothing newer.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
PREFIX = "m365admin_"
HEALTH_VALUES = {HealthStatus.UP: 0, HealthStatus.DEGRADED: 1, HealthStatus.DOWN: 2}

# MetricSample field → (metric name, help, scale to base units). Percentages become ratios.
_HOST_GAUGES = {
    "cpu_percent": ("host_cpu_usage_ratio", "CPU in use, all cores (0-1).", 0.01),
    "load_1": ("host_load1", "Load average over 1 minute.", 1),
    "load_5": ("host_load5", "Load average over 5 minutes.", 1),
    "load_15": ("host_load15", "Load average over 15 minutes.", 1),
    "memory_percent": ("host_memory_usage_ratio", "Memory in use (0-1).", 0.01),
    "swap_percent": ("host_swap_usage_ratio", "Swap in use (0-1).", 0.01),
    "disk_read_bps": ("host_disk_read_bytes_per_second", "Disk reads.", 1),
    "disk_write_bps": ("host_disk_write_bytes_per_second", "Disk writes.", 1),
    "net_in_bps": ("host_network_receive_bytes_per_second", "Network received.", 1),
    "net_out_bps": ("host_network_transmit_bytes_per_second", "Network sent.", 1),
    "app_rss_bytes": ("app_resident_memory_bytes", "Memory of m365admin's processes.", 1),
    "app_cpu_percent": ("app_cpu_usage_ratio", "CPU of m365admin's processes (0-1).", 0.01),
    "app_processes": ("app_processes", "m365admin processes on the host.", 1),
}


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, labels=labels)


class DatabaseCollector:
    """A custom collector: each scrape runs small, indexed queries (two per tenant and
    collector at most)."""

    def collect(self) -> Iterator[Metric]:
        yield from self._host()
        yield from self._components()
        yield from self._alerts()
        yield from self._collectors()
        yield from self._signins()
        yield from self._graph()
        yield from self._requests()

    def _host(self) -> Iterator[Metric]:
        # The sampler's newest sample, if it is recent: a stopped scheduler shows as absent.
        sample = sampler.latest(timedelta(seconds=3 * settings.MONITORING_INTERVAL))
        taken = _gauge("host_sample_timestamp_seconds", "When the newest sample was taken.",
                       ["host"])
        families = {field: _gauge(name, text, ["host"])
                    for field, (name, text, _) in _HOST_GAUGES.items()}
        disks = _gauge("host_disk_usage_ratio", "Disk space in use (0-1).", ["host", "path"])
        if sample is not None:
            taken.add_metric([sample.host], sample.created.timestamp())
            for field, (_, _, scale) in _HOST_GAUGES.items():
                value = getattr(sample, field)
                if value is not None:
                    families[field].add_metric([sample.host], value * scale)
            for disk in sample.disks.values():
                disks.add_metric([sample.host, disk["path"]], disk["percent"] / 100)
        yield taken
        yield from families.values()
        yield disks

    def _components(self) -> Iterator[Metric]:
        status = _gauge("component_status", "Component health: 0 up, 1 degraded, 2 down.",
                        ["component"])
        latency = _gauge("component_latency_seconds", "The health check's round trip.",
                         ["component"])
        checked = _gauge("component_checked_timestamp_seconds", "When it was last checked.",
                         ["component"])
        for row in ComponentHealth.objects.filter(component__in=Component.values):
            status.add_metric([row.component], HEALTH_VALUES[row.status])
            checked.add_metric([row.component], row.checked.timestamp())
            if row.latency_ms is not None:
                latency.add_metric([row.component], row.latency_ms / 1000)
        yield from (status, latency, checked)

    def _alerts(self) -> Iterator[Metric]:
        # Every severity and source, zeros included, so a panel shows 0 rather than no data.
        counts = {
            (row["severity"], row["rule__source"]): row["n"]
            for row in Alert.objects.filter(status__in=OPEN_STATUSES, inhibited_by=None)
            .values("severity", "rule__source").annotate(n=Count("pk")).order_by()
        }
        family = _gauge("alerts_open", "Alerts firing or acknowledged (not inhibited).",
                        ["severity", "source"])
        for severity in Severity.values:
            for source in AlertSource.values:
                family.add_metric([severity, source], counts.get((severity, source), 0))
        yield family

    def _collectors(self) -> Iterator[Metric]:
        last_success = _gauge("collector_last_success_timestamp_seconds",
                              "When the collector last finished successfully.",
                              ["tenant", "collector"])
        duration = _gauge("collector_last_run_duration_seconds",
                          "How long the last finished run took.", ["tenant", "collector"])
        items = _gauge("collector_last_run_items", "Rows the last finished run wrote.",
                       ["tenant", "collector"])
        succeeded = _gauge("collector_last_run_success",
                           "Whether the last finished run succeeded (1) or not (0).",
                           ["tenant", "collector"])
        for tenant in Tenant.objects.order_by("name"):
            for collector in Collector.values:
                runs = SyncRun.objects.filter(tenant=tenant, collector=collector).exclude(
                    finished=None).order_by("-started")
                last = runs.first()
                if last is None:
                    continue
                labels = [tenant.name, collector]
                duration.add_metric(labels, (last.finished - last.started).total_seconds())
                items.add_metric(labels, last.written)
                succeeded.add_metric(labels, int(last.status == SyncStatus.SUCCEEDED))
                success = (last if last.status == SyncStatus.SUCCEEDED
                           else runs.filter(status=SyncStatus.SUCCEEDED).first())
                if success is not None:
                    last_success.add_metric(labels, success.finished.timestamp())
        yield from (last_success, duration, items, succeeded)

    def _signins(self) -> Iterator[Metric]:
        # From the hourly rollups over the retention period: counting the partitioned table
        # itself would read millions of rows per scrape.
        since = timezone.now() - timedelta(days=settings.SIGNIN_RETENTION_DAYS)
        family = _gauge("signins_stored", "Sign-ins stored, from the hourly rollups.",
                        ["tenant"])
        for row in (SignInHourly.objects.filter(hour__gte=since).values("tenant__name")
                    .annotate(n=Sum("total")).order_by()):
            family.add_metric([row["tenant__name"]], row["n"] or 0)
        yield family

    def _graph(self) -> Iterator[Metric]:
        yield from self._graph_usage()
        # The Graph health check's facts per tenant: its breakers, and the 429s since the
        # check before it (the clients' counters live in the scheduler's process).
        breaker = _gauge("graph_breaker_open", "Circuit breaker per Graph service: 1 open.",
                         ["tenant", "service"])
        throttled = _gauge("graph_throttled_requests",
                           "Graph 429 answers between the last two health checks.", ["tenant"])
        graph = ComponentHealth.objects.filter(component=Component.GRAPH).first()
        for part in (graph.details.get("tenants", []) if graph else []):
            for service, state in part.get("breakers", {}).items():
                breaker.add_metric([part["tenant"], service], int(state != "closed"))
            if "throttled" in part:
                throttled.add_metric([part["tenant"]], part["throttled"])
        yield from (breaker, throttled)

    def _graph_usage(self) -> Iterator[Metric]:
        # Totals the collector runs add to as they go (GraphUsage): they only grow, whatever
        # becomes of the runs, as counters must.
        labels = ["tenant", "collector"]
        families = {
            "requests": CounterMetricFamily(PREFIX + "graph_requests", (
                "Requests sent to Graph and its token endpoint by the collectors."), labels=labels),
            "throttled": CounterMetricFamily(PREFIX + "graph_throttled", (
                "Graph answers 429 Too Many Requests (and 429 items of $batch)."), labels=labels),
            "retries": CounterMetricFamily(PREFIX + "graph_retries", (
                "Graph requests sent again after a 429, a 5xx or a network error."),
                labels=labels),
        }
        for usage in GraphUsage.objects.select_related("tenant").order_by("tenant__name",
                                                                          "collector"):
            for field, family in families.items():
                family.add_metric([usage.tenant.name, usage.collector], getattr(usage, field))
        yield from families.values()

    def _requests(self) -> Iterator[Metric]:
        start = requeststats.last_complete_interval()
        family = GaugeHistogramMetricFamily(
            PREFIX + "http_request_duration_seconds",
            "Request latency per route over the last complete interval (all processes).",
            labels=["route"])
        bounds = [str(ms / 1000) for ms in requeststats.BUCKETS_MS] + ["+Inf"]
        for route, stats in sorted(requeststats.interval_routes(start).items()):
            cumulative, running = [], 0
            for bound, n in zip(bounds, stats.buckets, strict=True):
                running += n
                cumulative.append((bound, running))
            family.add_metric([route], cumulative, stats.total_ms / 1000)
        yield family


def exposition() -> bytes:
    """The text format of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
