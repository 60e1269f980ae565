"""Exchange Online, per enabled tenant, from the service health the collectors synced."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from collectors.health.tenants import TenantHealth, enabled_tenants, summarise, tenant_count
from collectors.schedule import sync_interval
from m365admin.choices import (
    EXCHANGE_SERVICE_ID,
    Collector,
    Component,
    HealthLevel,
    HealthStatus,
)
from m365admin.lib.health import Health, age, ms_since
from m365admin.models import ServiceHealth, Tenant
from m365admin.registry.health import health_check
from m365admin.texts import message

_STATUS_FOR_LEVEL = {
    HealthLevel.OPERATIONAL: HealthStatus.UP,
    HealthLevel.DEGRADED: HealthStatus.DEGRADED,
    HealthLevel.INTERRUPTED: HealthStatus.DOWN,
    HealthLevel.UNKNOWN: HealthStatus.DEGRADED,
}


@health_check(Component.EXCHANGE)
def check(timeout: float) -> Health:
    started = time.perf_counter()
    tenants = enabled_tenants()
    if not tenants:
        return Health(Component.EXCHANGE, HealthStatus.UP, None, message("health.no_tenants"))
    rows = {
        row.tenant_id: row
        for row in ServiceHealth.objects.filter(tenant__in=tenants, service_id=EXCHANGE_SERVICE_ID)
    }
    latency = ms_since(started)
    now = timezone.now()
    stale_after = sync_interval(Collector.SERVICE_HEALTH) * settings.HEALTH_STALE_SYNC_INTERVALS
    parts = [_tenant_part(tenant, rows.get(tenant.pk), now, stale_after) for tenant in tenants]
    return summarise(Component.EXCHANGE, parts, latency,
                     message("health.exchange.up", tenants=tenant_count(len(parts))))


def _tenant_part(
    tenant: Tenant, row: ServiceHealth | None, now: datetime, stale_after: timedelta
) -> TenantHealth:
    part = TenantHealth(tenant)
    if row is None:
        part.fail(HealthStatus.DEGRADED, message("health.exchange.not_synced"))
        return part
    part.facts |= {"service_status": row.status, "synced": row.synced.timestamp()}
    status = _STATUS_FOR_LEVEL[HealthLevel(row.level())]
    if status != HealthStatus.UP:
        part.fail(status, message("health.exchange.reports", status=row.status))
    since = now - row.synced
    if since > stale_after:
        part.fail(HealthStatus.DEGRADED,
                  message("health.exchange.stale", age=age(since.total_seconds())))
    return part
