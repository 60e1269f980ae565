"""monitoring.retention: no sample or request statistic outlives METRICS_RETENTION_HOURS, on
PostgreSQL too, where whole daily partitions are dropped and the day straddling the cutoff
would otherwise keep up to a day more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import sampler
from monitoring.jobs import expire_measurements
from monitoring.models import MetricSample

pytestmark = pytest.mark.django_db


def test_samples_past_the_retention_are_deleted_and_newer_ones_kept(settings):
    settings.METRICS_RETENTION_HOURS = 24
    now = timezone.now()
    for hours in (30, 24.5, 23.5, 1):
        sampler.store(MetricSample(host=f"h{hours}", created=now - timedelta(hours=hours)))
    expire_measurements()
    assert sorted(MetricSample.objects.values_list("host", flat=True)) == ["h1", "h23.5"]
