"""Monthly sign-in partitions on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from m365admin import partitions
from m365admin.models import SignIn
from tests.factories import make_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NOW = datetime.now(UTC)


def _sign_in(tenant, graph_id: str, created: datetime) -> SignIn:
    partitions.ensure_months({partitions.month_start(created)})
    return SignIn.objects.create(tenant=tenant, graph_id=graph_id, created=created)


def test_migrate_creates_partitions_ahead_and_no_default():
    names = {p.name for p in partitions.list_partitions()}
    month = partitions.month_start(NOW)
    for _ in range(4):  # this month and three ahead (SIGNIN_PARTITIONS_AHEAD)
        assert partitions.partition_name(month) in names
        month = partitions.next_month(month)
    with connection.cursor() as cursor:
        cursor.execute("SELECT partdefid FROM pg_partitioned_table WHERE partrelid = %s::regclass",
                       [partitions.SIGNIN_TABLE])
        assert cursor.fetchone()[0] == 0  # no DEFAULT partition


def test_bounds_are_whole_utc_months():
    for partition in partitions.list_partitions():
        assert partition.start.day == 1 and partition.start.utcoffset() == timedelta(0)
        assert partition.end == datetime.combine(
            partitions.next_month(partition.start.date()), datetime.min.time(), UTC
        )


def test_rows_land_in_their_months_partition():
    tenant = make_tenant()
    old = NOW - timedelta(days=200)  # beyond the partitions created ahead
    _sign_in(tenant, "a", old)
    _sign_in(tenant, "b", NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT graph_id, tableoid::regclass::text FROM m365admin_signin ORDER BY graph_id")
        placed = dict(cursor.fetchall())
    assert placed == {
        "a": partitions.partition_name(partitions.month_start(old)),
        "b": partitions.partition_name(partitions.month_start(NOW)),
    }


def test_a_bounded_query_touches_only_the_matching_partitions():
    tenant = make_tenant()
    start = datetime.combine(partitions.month_start(NOW), datetime.min.time(), UTC)
    query = SignIn.objects.filter(tenant=tenant).between(start + timedelta(days=1), start + timedelta(days=2))
    plan = query.explain()
    this_month = partitions.partition_name(partitions.month_start(NOW))
    assert this_month in plan
    others = [p.name for p in partitions.list_partitions() if p.name != this_month]
    assert others and not any(name in plan for name in others)


def test_expired_partitions_are_dropped_and_recent_ones_kept():
    tenant = make_tenant()
    ancient = NOW - timedelta(days=500)
    _sign_in(tenant, "old", ancient)
    dropped = partitions.drop_expired(now=NOW, retention_days=365)
    assert partitions.partition_name(partitions.month_start(ancient)) in dropped
    assert not SignIn.objects.filter(graph_id="old").exists()
    kept = {p.name for p in partitions.list_partitions()}
    assert partitions.partition_name(partitions.month_start(NOW)) in kept


def test_ensure_months_is_idempotent():
    month = partitions.month_start(NOW - timedelta(days=120))
    first = partitions.ensure_months({month})
    partitions.forget_known()
    assert partitions.ensure_months({month}) == []
    assert first in ([partitions.partition_name(month)], [])


def test_the_maintenance_command_creates_ahead_and_drops_expired(settings, capsys):
    from django.core.management import call_command

    tenant = make_tenant()
    ancient = NOW - timedelta(days=500)
    _sign_in(tenant, "old", ancient)
    ahead = partitions.next_month(partitions.next_month(partitions.month_start(NOW)))
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{partitions.partition_name(ahead)}"')
    partitions.forget_known()
    call_command("maintainpartitions")
    out = capsys.readouterr().out
    assert f"created: {partitions.partition_name(ahead)}" in out
    assert partitions.partition_name(partitions.month_start(ancient)) in out.split("dropped: ")[1]
