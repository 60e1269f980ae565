"""The alert observations monitoring itself reports beside the tick's (m365admin/registry/
alert_sources.py): notification channels, Microsoft 365 service health, subscriptions and
client secrets."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from m365admin import syslog
from m365admin.choices import AlertSource
from m365admin.models import ServiceHealth, Subscription, Tenant
from m365admin.registry.alert_sources import Observation, alert_source
from monitoring.models import NotificationChannel

HEALTH_LEVEL_VALUE = {"operational": 0, "unknown": 0, "degraded": 1, "interrupted": 2}


@alert_source(AlertSource.NOTIFICATION)
def channels() -> list[Observation]:
    """Enabled channels by name, as people know them (two of one name count as one, failing
    if either is). A channel disabled, deleted or renamed is no longer observed, and its alert
    clears (a sparse source)."""
    failing: dict[str, bool] = {}
    for name, is_failing in NotificationChannel.objects.filter(enabled=True).values_list(
            "name", "failing"):
        failing[name] = failing.get(name, False) or is_failing
    found = [Observation(AlertSource.NOTIFICATION, "failing", {"channel": name}, float(value))
             for name, value in failing.items()]
    if settings.SYSLOG is not None:
        # SIEM forwarding counts as failing once it has failed for SYSLOG_FAILING_MINUTES.
        since = syslog.failing_since()
        long_enough = since is not None and timezone.now() - since >= timedelta(
            minutes=settings.SYSLOG.failing_minutes)
        found.append(Observation(AlertSource.NOTIFICATION, "failing",
                                 {"channel": syslog.DELIVERY}, float(long_enough)))
    return found


@alert_source(AlertSource.SERVICE_HEALTH)
def service_health() -> list[Observation]:
    return [
        Observation(AlertSource.SERVICE_HEALTH, "level",
                    {"tenant": str(s.tenant_id), "service": s.service_id},
                    float(HEALTH_LEVEL_VALUE.get(s.level(), 0)), s.tenant_id)
        for s in ServiceHealth.objects.all()
    ]


@alert_source(AlertSource.SUBSCRIPTION)
def subscriptions(now: datetime | None = None) -> list[Observation]:
    """Subscriptions in trouble or near their lifecycle date, labelled with tenant, product,
    status and date."""
    now = now or timezone.now()
    return [
        Observation(
            AlertSource.SUBSCRIPTION, "needs_attention",
            {"tenant": str(s.tenant_id), "tenant_name": s.tenant.name, "sku": s.product_name,
             "status": s.status,
             "date": s.next_lifecycle.date().isoformat() if s.next_lifecycle else "—"},
            1.0, s.tenant_id,
        )
        for s in Subscription.objects.with_product().select_related("tenant")
        if s.needs_attention(now)
    ]


@alert_source(AlertSource.CLIENT_SECRET)
def client_secrets(now: datetime | None = None) -> list[Observation]:
    """Tenants whose client secret expires within 30 days or has expired, labelled with the
    tenant and the date: their syncs stop that day unless someone enters a new secret."""
    today = timezone.localdate(now or timezone.now())
    return [
        Observation(AlertSource.CLIENT_SECRET, "expiring",
                    {"tenant": str(t.pk), "tenant_name": t.name,
                     "date": str(t.secret_expires)}, 1.0, t.pk)
        for t in Tenant.objects.secret_expiring(today)
    ]
