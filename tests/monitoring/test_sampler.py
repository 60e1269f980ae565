"""The psutil sampler: every figure present, rates from deltas, unreadable metrics reported."""

from __future__ import annotations

from datetime import timedelta

import psutil
import pytest
from django.utils import timezone

from monitoring import sampler
from monitoring.models import MetricSample


@pytest.mark.django_db
def test_a_sample_reads_every_metric_on_linux():
    reader = sampler.Sampler()
    reader.sample()
    sample = reader.sample()
    assert 0.0 <= sample.cpu_percent <= 100.0
    assert len(sample.cpu_per_core) == psutil.cpu_count()
    assert sample.load_1 is not None
    assert 0.0 < sample.memory_percent < 100.0
    assert set(sample.disks) == {"database", "var"}
    assert sample.disk_read_bps is not None and sample.net_in_bps is not None
    assert sample.app_processes >= 1 and sample.app_rss_bytes > 10_000_000
    assert sample.unavailable == []


def test_a_metric_the_platform_cannot_read_is_reported_and_sampling_goes_on(monkeypatch, caplog):
    def missing():
        raise NotImplementedError("no load average here")

    monkeypatch.setattr(psutil, "getloadavg", missing)
    monkeypatch.setattr(psutil, "net_io_counters", lambda: None)
    reader = sampler.Sampler()
    reader.sample()  # the rates need a previous reading
    second = reader.sample()
    assert second.load_1 is None and second.net_in_bps is None
    assert {"load", "network"} <= set(second.unavailable)
    assert second.memory_percent is not None and second.disk_read_bps is not None
    # Logged once, not every 30 s.
    assert sum("name=load" in r.message for r in caplog.records) == 1


@pytest.mark.django_db
def test_samples_are_stored_and_read_back_as_chart_columns():
    reader = sampler.Sampler()
    now = timezone.now()
    for minutes in (50, 30, 10):
        sample = reader.sample()
        sample.created = now - timedelta(minutes=minutes)
        sampler.store(sample)
    old = reader.sample()
    old.created = now - timedelta(hours=3)
    sampler.store(old)
    columns = sampler.history(now - timedelta(hours=1), now)
    assert len(columns["t"]) == 3
    assert columns["t"] == sorted(columns["t"])
    assert all(len(values) == 3 for values in columns.values())
    assert MetricSample.objects.count() == 4


@pytest.mark.django_db
def test_history_is_thinned_to_the_requested_points():
    reader = sampler.Sampler()
    now = timezone.now()
    for i in range(50):
        sample = reader.sample()
        sample.created = now - timedelta(seconds=30 * i + 1)
        sampler.store(sample)
    assert len(sampler.history(now - timedelta(hours=1), now, max_points=10)["t"]) == 10
