"""/api/v1/metrics/…: the tick's data for integrations, behind the dashboard permission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from monitoring import push, sampler
from monitoring.models import RequestStat
from monitoring.requeststats import RouteStats, interval_start, last_complete_interval

pytestmark = pytest.mark.django_db

URLS = ["/api/v1/metrics/monitoring", "/api/v1/metrics/performance", "/api/v1/metrics/history"]


@pytest.fixture(autouse=True)
def _no_snapshot():
    push.save_snapshot("", timeout=0)


@pytest.mark.parametrize("url", URLS)
def test_anonymous_callers_are_refused(client, url):
    assert client.get(url).status_code == 401  # with a Bearer challenge: JWT comes first


@pytest.mark.parametrize("url", URLS)
def test_users_without_the_dashboard_permission_are_refused(client, outsider, url):
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_monitoring_returns_the_latest_tick(client, viewer, settings):
    push.save_snapshot(
        '{"type":"snapshot","interval":30,"latest":{"t":5,"metrics":{"cpu":1.0},'
        '"health":[{"component":"api"}]},"history":{},"tenants":[]}', timeout=60,
    )
    client.force_login(viewer)
    body = client.get("/api/v1/metrics/monitoring").json()
    assert body == {"t": 5, "interval": 30, "metrics": {"cpu": 1.0},
                    "health": [{"component": "api"}], "tenants": []}


def test_monitoring_before_the_first_tick_says_so_with_nulls(client, viewer):
    client.force_login(viewer)
    body = client.get("/api/v1/metrics/monitoring").json()
    assert body["t"] is None and body["metrics"] is None and body["health"] == []


def test_performance_merges_the_last_interval(client, viewer, settings):
    settings.MONITORING_INTERVAL = 30.0
    stats = RouteStats()
    for ms in (5.0, 10.0, 700.0):
        stats.add(ms, error=ms > 500)
    start = last_complete_interval()
    RequestStat.objects.create(
        interval_start=datetime.fromtimestamp(start, UTC), process="web-1",
        route="dashboard/", count=stats.count, errors=stats.errors, total_ms=stats.total_ms,
        max_ms=stats.max_ms, buckets=stats.buckets,
    )
    client.force_login(viewer)
    body = client.get("/api/v1/metrics/performance?hours=2").json()
    assert body["last_interval"]["count"] == 3
    assert body["last_interval"]["routes"][0]["route"] == "dashboard/"
    assert body["history"]["count"] == [3]
    assert interval_start(start, 30.0) == start


def test_history_returns_chart_columns_for_the_hours_asked(client, viewer):
    reader = sampler.Sampler()
    for hours in (1.5, 5):
        sample = reader.sample()
        sample.created = timezone.now() - timedelta(hours=hours)
        sampler.store(sample)
    client.force_login(viewer)
    assert len(client.get("/api/v1/metrics/history?hours=1").json()["metrics"]["t"]) == 0
    assert len(client.get("/api/v1/metrics/history?hours=6").json()["metrics"]["t"]) == 2


@pytest.mark.parametrize("hours", ["abc", "0", "25", "-3"])
def test_a_bad_hours_value_is_a_400_that_says_why(client, viewer, hours):
    client.force_login(viewer)
    response = client.get(f"/api/v1/metrics/history?hours={hours}")
    assert response.status_code == 400
    assert "hours" in response.json()
