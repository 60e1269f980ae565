"""The scheduler's monitoring jobs: the tick, and retention of request statistics."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from m365admin.scheduler import periodic
from monitoring import notify
from monitoring.models import MetricSample, RequestStat
from monitoring.tick import Ticker

_ticker: Ticker | None = None


@periodic("monitoring.tick", every=lambda: settings.MONITORING_INTERVAL)
async def tick() -> None:
    global _ticker
    if _ticker is None:
        _ticker = Ticker()
    await _ticker.tick()


@periodic("monitoring.notify", every=lambda: 5.0)
def send_notifications() -> None:
    notify.deliver_due()


@periodic("monitoring.retention", every=lambda: 3600.0)
def expire_measurements() -> None:
    cutoff = timezone.now() - timedelta(hours=settings.METRICS_RETENTION_HOURS)
    RequestStat.objects.filter(interval_start__lt=cutoff).delete()
    if connection.vendor != "postgresql":
        # PostgreSQL drops whole daily partitions instead (m365admin.partitions).
        MetricSample.objects.filter(created__lt=cutoff).delete()
