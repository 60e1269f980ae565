"""Rebuild the hourly sign-in rollups for the hours a sync touched."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncHour

from m365admin.models import SignIn, SignInHourly, Tenant
from m365admin.models.signins import RISKY, SUCCESS_CODE


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def refresh_signin_hours(tenant: Tenant, since: datetime, until: datetime) -> int:
    """Recompute the tenant's rollup rows for every hour in [since, until); returns the count.

    Recomputed from the raw rows rather than incremented, so a re-synced overlap or a late
    sign-in never counts twice.
    """
    start, end = hour_floor(since), hour_floor(until) + timedelta(hours=1)
    signins = SignIn.objects.filter(tenant=tenant).between(start, end).annotate(
        bucket=TruncHour("created")
    )
    counts = signins.values("bucket").annotate(
        total=Count("pk"),
        failed=Count("pk", filter=~Q(error_code=SUCCESS_CODE)),
        risky=Count("pk", filter=RISKY),
    ).order_by()
    countries: dict[datetime, dict[str, int]] = defaultdict(dict)
    for row in signins.values("bucket", "country").annotate(n=Count("pk")).order_by():
        countries[row["bucket"]][row["country"]] = row["n"]
    rows = [
        SignInHourly(
            tenant=tenant, hour=row["bucket"], total=row["total"], failed=row["failed"],
            risky=row["risky"], countries=countries[row["bucket"]],
        )
        for row in counts
    ]
    with transaction.atomic():
        SignInHourly.objects.filter(tenant=tenant).between(start, end).delete()
        SignInHourly.objects.bulk_create(rows)
    return len(rows)
