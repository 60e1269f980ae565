"""Request statistics: in-memory histograms, one write per interval, honest percentiles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError

from monitoring import requeststats
from monitoring.models import RequestStat
from monitoring.requeststats import Aggregator, RouteStats

T0 = 1_800_000_000.0  # a multiple of 30 s


@pytest.fixture(autouse=True)
def _interval(settings):
    settings.MONITORING_INTERVAL = 30.0


def test_percentiles_follow_the_distribution():
    stats = RouteStats()
    for ms in range(1, 101):  # 1..100 ms, uniform
        stats.add(float(ms), error=False)
    assert stats.percentile(0.50) == pytest.approx(50, abs=10)
    assert stats.percentile(0.95) == pytest.approx(95, abs=10)
    assert stats.percentile(0.99) <= 100.0  # never above the slowest request
    assert stats.percentile(0.99) >= stats.percentile(0.95) >= stats.percentile(0.50)


def test_percentiles_of_slow_outliers_are_capped_by_the_slowest_request():
    stats = RouteStats()
    stats.add(20_000.0, error=True)  # beyond the last bucket bound
    assert 10_000.0 < stats.percentile(0.99) <= 20_000.0
    assert stats.percentile(1.0) == 20_000.0
    assert stats.summary()["error_rate"] == 100.0


def test_an_empty_route_has_no_percentiles():
    assert RouteStats().percentile(0.5) is None


@pytest.mark.django_db
def test_one_row_per_route_per_finished_interval(django_assert_num_queries):
    aggregator = Aggregator()
    for i in range(500):
        aggregator.add("api/v1/users/", 5.0 + i % 7, error=False, now=T0 + 1)
    aggregator.add("dashboard/", 12.0, error=True, now=T0 + 2)
    aggregator.add("dashboard/", 8.0, error=False, now=T0 + 31)  # the next interval
    with django_assert_num_queries(3):  # savepoint, one bulk insert, release
        assert aggregator.flush(now=T0 + 31) == 2
    rows = {row.route: row for row in RequestStat.objects.all()}
    assert rows["api/v1/users/"].count == 500
    assert rows["dashboard/"].errors == 1
    assert rows["dashboard/"].interval_start == datetime.fromtimestamp(T0, UTC)
    # The current interval is still open: nothing more is written until it ends.
    assert aggregator.flush(now=T0 + 59) == 0
    assert aggregator.flush(now=T0 + 61) == 1


@pytest.mark.django_db
def test_processes_merge_into_one_interval_summary():
    for process, latencies in (("web-1", [10.0] * 90), ("web-2", [900.0] * 10)):
        stats = RouteStats()
        for ms in latencies:
            stats.add(ms, error=ms > 500)
        RequestStat.objects.create(
            interval_start=datetime.fromtimestamp(T0, UTC), process=process,
            route="api/v1/sign-ins/", count=stats.count, errors=stats.errors,
            total_ms=stats.total_ms, max_ms=stats.max_ms, buckets=stats.buckets,
        )
    summary = requeststats.interval_summary(T0)
    assert summary["count"] == 100
    assert summary["error_rate"] == 10.0
    assert summary["p50"] <= 10.0
    assert summary["p99"] > 750.0  # the slow process shows in the merged tail
    assert summary["routes"][0]["route"] == "api/v1/sign-ins/"


@pytest.mark.django_db
def test_a_failed_flush_keeps_the_intervals_for_the_next(monkeypatch):
    aggregator = Aggregator()
    aggregator.add("dashboard/", 5.0, error=False, now=T0)

    def refuse(*args, **kwargs):
        raise DatabaseError("database away")

    monkeypatch.setattr(RequestStat.objects, "bulk_create", refuse)
    with pytest.raises(DatabaseError):
        aggregator.flush(now=T0 + 31)
    monkeypatch.undo()
    assert aggregator.flush(now=T0 + 31) == 1
    assert RequestStat.objects.get().count == 1


@pytest.mark.django_db
def test_the_middleware_counts_routes_not_paths(client, viewer):
    requeststats.aggregator.flush(now=T0 + 10**6)  # start from an empty aggregator
    client.force_login(viewer)
    client.get("/no/such/page/")
    client.get("/")
    client.get("/static/css/app.css")
    pending = requeststats.aggregator._intervals
    routes = {route for routes in pending.values() for route in routes}
    assert requeststats.UNMATCHED in routes
    assert requeststats.STATIC in routes
    assert "" in routes  # the tenants page's pattern
