"""Hourly sign-in rollups and the dashboard's tenant tiles read from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin import rollups
from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    SignIn,
    SignInHourly,
    SubscribedSku,
)
from m365admin.overview import tenant_tiles
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)


def _signins(tenant, count, start, **fields):
    return make_rows(SignIn, tenant, count, created=lambda i: start + timedelta(minutes=i), **fields)


def test_hours_are_counted_with_failures_risk_and_countries():
    tenant = make_tenant()
    _signins(tenant, 30, NOW.replace(minute=0), country="JP")
    _signins(tenant, 5, NOW.replace(minute=0), error_code=50126, country="US")
    _signins(tenant, 2, NOW.replace(minute=40), risk_level_during_sign_in="high", country="")
    _signins(tenant, 3, NOW - timedelta(hours=2), risk_state="atRisk")
    assert rollups.refresh_signin_hours(tenant, NOW - timedelta(hours=3), NOW) == 2
    this_hour = SignInHourly.objects.get(tenant=tenant, hour=NOW.replace(minute=0))
    assert (this_hour.total, this_hour.failed, this_hour.risky) == (37, 5, 2)
    assert this_hour.countries == {"JP": 30, "US": 5, "": 2}
    assert sorted(map(tuple, this_hour.groups["reason"])) == [(0, 32), (50126, 5)]
    earlier = SignInHourly.objects.get(tenant=tenant, hour=NOW.replace(minute=0) - timedelta(hours=2))
    assert (earlier.total, earlier.risky) == (3, 3)


def test_a_refresh_recounts_instead_of_adding_so_overlaps_never_double():
    tenant = make_tenant()
    _signins(tenant, 10, NOW.replace(minute=0))
    rollups.refresh_signin_hours(tenant, NOW - timedelta(hours=1), NOW)
    _signins(tenant, 4, NOW.replace(minute=20))  # a late arrival in the same hour
    rollups.refresh_signin_hours(tenant, NOW - timedelta(minutes=30), NOW)
    assert SignInHourly.objects.get(tenant=tenant).total == 14


def test_a_refresh_touches_only_its_tenant_and_hours():
    ours, theirs = make_tenant(), make_tenant()
    _signins(ours, 3, NOW - timedelta(hours=5))
    _signins(theirs, 3, NOW)
    rollups.refresh_signin_hours(ours, NOW - timedelta(hours=6), NOW)
    rollups.refresh_signin_hours(theirs, NOW - timedelta(hours=1), NOW)
    rollups.refresh_signin_hours(ours, NOW - timedelta(hours=1), NOW)  # empty hours
    assert SignInHourly.objects.filter(tenant=ours).count() == 1
    assert SignInHourly.objects.filter(tenant=theirs).count() == 1


def test_the_sign_in_sync_keeps_the_rollups(sim_tenant):
    from collectors.sync.runner import run_collector

    tenant, _spec = sim_tenant
    run_collector(tenant, "signins")
    stored = SignIn.objects.filter(tenant=tenant).count()
    assert stored > 0
    assert sum(SignInHourly.objects.filter(tenant=tenant).values_list("total", flat=True)) == stored


def test_tiles_sum_the_last_24_hours_of_rollups(django_assert_max_num_queries):
    tenant = make_tenant(name="Contoso")
    SignInHourly.objects.bulk_create([
        SignInHourly(tenant=tenant, hour=NOW.replace(minute=0) - timedelta(hours=h),
                     total=100, failed=10, risky=1)
        for h in range(30)  # 30 hours: only the last 24 count
    ])
    make_rows(DirectoryUser, tenant, 4, is_licensed=lambda i: i < 3)
    make_rows(SubscribedSku, tenant, 1, prepaid_enabled=10, consumed_units=3)
    make_rows(Mailbox, tenant, 2, prohibit_send_quota_bytes=100,
              storage_used_bytes=lambda i: 95 if i == 0 else 10)
    make_rows(OneDriveAccount, tenant, 2, storage_allocated_bytes=1000,
              storage_used_bytes=lambda i: 950 if i == 0 else 100)
    make_rows(ServiceHealth, tenant, 2, status=lambda i: ["serviceOperational",
                                                         "serviceDegradation"][i])
    # Licences take two: the SKUs with their prices, and subscriptions (which are trials).
    with django_assert_max_num_queries(10):
        (tile,) = tenant_tiles(now=NOW)
    assert tile["name"] == "Contoso"
    assert (tile["signins_24h"], tile["failed_24h"], tile["risky_24h"]) == (2400, 240, 24)
    assert tile["failure_rate"] == 10.0
    assert (tile["users"], tile["licensed"]) == (4, 3)
    assert tile["licences"] == {"enabled": 10, "assigned": 3, "unused": 7, "free": 0}
    assert (tile["mailboxes"], tile["mailboxes_near_quota"]) == (2, 1)
    assert tile["onedrive"] == {"accounts": 2, "used": 1050, "allocated": 2000, "near_quota": 1}
    assert tile["service_health"]["level"] == "degraded"
    assert len(tile["service_health"]["not_operational"]) == 1


def test_a_tenant_with_nothing_synced_has_an_honest_empty_tile():
    make_tenant()
    (tile,) = tenant_tiles(now=NOW)
    assert tile["signins_24h"] == 0 and tile["failure_rate"] is None
    assert tile["service_health"]["level"] == "unknown"
    assert tile["last_sync"] is None


def test_disabled_tenants_have_no_tile():
    make_tenant(enabled=False)
    assert tenant_tiles(now=NOW) == []
