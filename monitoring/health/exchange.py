"""Exchange Online, per enabled tenant, from the service health the collectors synced."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from collectors.schedule import sync_interval
from m365admin.choices import Collector, HealthLevel
from m365admin.models import ServiceHealth, Tenant
from monitoring.choices import Component, HealthStatus
from monitoring.health.base import Health, age_text, ms_since
from monitoring.health.tenants import TenantHealth, enabled_tenants, summarise, tenants_text

# The healthOverviews id of Exchange Online (CONTRACT 2.7; samples/service_health_overviews.json).
EXCHANGE_SERVICE_ID = "Exchange"

_STATUS_FOR_LEVEL = {
    HealthLevel.OPERATIONAL: HealthStatus.UP,
    HealthLevel.DEGRADED: HealthStatus.DEGRADED,
    HealthLevel.INTERRUPTED: HealthStatus.DOWN,
    HealthLevel.UNKNOWN: HealthStatus.DEGRADED,
}


def check(timeout: float) -> Health:
    started = time.perf_counter()
    tenants = enabled_tenants()
    if not tenants:
        return Health(Component.EXCHANGE, HealthStatus.UP, None, "no tenants configured")
    rows = {
        row.tenant_id: row
        for row in ServiceHealth.objects.filter(tenant__in=tenants, service_id=EXCHANGE_SERVICE_ID)
    }
    latency = ms_since(started)
    now = timezone.now()
    stale_after = sync_interval(Collector.SERVICE_HEALTH) * settings.HEALTH_STALE_SYNC_INTERVALS
    parts = [_tenant_part(tenant, rows.get(tenant.pk), now, stale_after) for tenant in tenants]
    return summarise(Component.EXCHANGE, parts, latency,
                     f"operational for {tenants_text(len(parts))}")


def _tenant_part(
    tenant: Tenant, row: ServiceHealth | None, now: datetime, stale_after: timedelta
) -> TenantHealth:
    part = TenantHealth(tenant)
    if row is None:
        part.fail(HealthStatus.DEGRADED, "service health not synced yet")
        return part
    part.facts |= {"service_status": row.status, "synced": row.synced.timestamp()}
    status = _STATUS_FOR_LEVEL[row.level()]
    if status != HealthStatus.UP:
        part.fail(status, f"Exchange Online reports {row.status}")
    age = now - row.synced
    if age > stale_after:
        part.fail(HealthStatus.DEGRADED,
                  f"service health last synced {age_text(age.total_seconds())} ago")
    return part
