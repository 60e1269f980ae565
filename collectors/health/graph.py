"""Microsoft Graph, per enabled tenant: a token and a cheap call, the collectors' circuit
breakers and throttling since the previous check, and how fresh each collector's data is."""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from collectors.clients import client_for
from collectors.graph import GraphError, GraphThrottled, StatsSnapshot
from collectors.health.tenants import (
    TenantHealth,
    enabled_tenants,
    for_each_tenant,
    graph_error_text,
    probe_client,
    summarise,
    tenant_count,
    token_problem,
)
from collectors.schedule import sync_interval
from m365admin.choices import Collector, Component, HealthStatus, SyncStatus
from m365admin.lib.crypto import SecretUnreadable
from m365admin.lib.health import Health, age, ms, ms_since
from m365admin.models import SyncRun, Tenant
from m365admin.registry.health import health_check
from m365admin.texts import items, message

# The cheapest call every tenant allows: one small object, Organization.Read.All (CONTRACT 2.8).
PROBE_PATH = "/v1.0/organization"
PROBE_PARAMS = {"$select": "id"}
# Since the previous check: this many 429s, or this long spent waiting to retry, means
# throttling is holding the collectors back.
MANY_THROTTLED = 10
LONG_WAIT_SECONDS = 60.0


@health_check(Component.GRAPH)
def check(timeout: float) -> Health:
    tenants = enabled_tenants()
    if not tenants:
        return Health(Component.GRAPH, HealthStatus.UP, None, message("health.no_tenants"))
    now = timezone.now()
    synced = _last_synced(tenants)
    parts = for_each_tenant(
        tenants, lambda tenant: _check_tenant(tenant, timeout, synced.get(tenant.pk, {}), now)
    )
    latency = max(part.facts["latency_ms"] for part in parts)
    return summarise(Component.GRAPH, parts, latency,
                     message("health.graph.up", n=len(parts), tenants=tenant_count(len(parts)),
                             ms=ms(latency)))


def _check_tenant(
    tenant: Tenant, timeout: float, synced: dict[str, datetime], now: datetime
) -> TenantHealth:
    part = TenantHealth(tenant)
    started = time.perf_counter()
    problem = token_problem(tenant, timeout)
    if problem is not None:
        part.fail(HealthStatus.DOWN, problem)
    else:
        try:
            probe_client(tenant, timeout).get(PROBE_PATH, PROBE_PARAMS)
        except GraphThrottled:
            part.fail(HealthStatus.DEGRADED, message("health.graph.throttled_probe"))
        except GraphError as exc:
            part.fail(HealthStatus.DOWN, graph_error_text(exc))
    part.facts["latency_ms"] = round(ms_since(started), 1)
    _check_syncs(part, synced, now)
    try:
        collectors_client = client_for(tenant)
    except SecretUnreadable:
        return part  # the token check has said so already
    _check_breakers(part, collectors_client.breaker_states())
    _check_throttling(part, collectors_client.stats.snapshot_and_reset())
    return part


def _check_breakers(part: TenantHealth, states: dict[str, str]) -> None:
    part.facts["breakers"] = states
    tripped = sorted(service for service, state in states.items() if state != "closed")
    if tripped:
        part.fail(HealthStatus.DEGRADED, message("health.graph.breakers", services=items(tripped)))


def _check_throttling(part: TenantHealth, stats: StatsSnapshot) -> None:
    part.facts |= {"throttled": stats.throttled, "waited_s": round(stats.waited_seconds, 1)}
    if stats.throttled >= MANY_THROTTLED or stats.waited_seconds >= LONG_WAIT_SECONDS:
        part.fail(HealthStatus.DEGRADED,
                  message("health.graph.throttling", throttled=stats.throttled,
                          seconds=round(stats.waited_seconds)))


def _check_syncs(part: TenantHealth, synced: dict[str, datetime], now: datetime) -> None:
    stale = []
    for collector in Collector:
        last = synced.get(collector.value)
        # A tenant added a moment ago has not missed anything yet.
        if now - (last or part.tenant.created) > (
            sync_interval(collector) * settings.HEALTH_STALE_SYNC_INTERVALS
        ):
            stale.append(
                message("health.graph.synced_ago", collector=collector.value,
                        age=age((now - last).total_seconds())) if last
                else message("health.graph.never_synced", collector=collector.value))
    part.facts["stale_syncs"] = stale
    if stale:
        part.fail(HealthStatus.DEGRADED, message("health.graph.stale", syncs=items(stale)))


def _last_synced(tenants: list[Tenant]) -> dict[int, dict[str, datetime]]:
    """When each tenant's collectors last finished a run that needs no retry: a success, or a
    skip because the tenant cannot supply that data (no licence), which is not a fault."""
    rows = (
        SyncRun.objects
        .filter(tenant__in=tenants, status__in=[SyncStatus.SUCCEEDED, SyncStatus.SKIPPED])
        .values("tenant", "collector")
        .annotate(last=Max("finished"))
    )
    synced: dict[int, dict[str, datetime]] = {}
    for row in rows:
        if row["last"] is not None:
            synced.setdefault(int(row["tenant"]), {})[row["collector"]] = row["last"]
    return synced
