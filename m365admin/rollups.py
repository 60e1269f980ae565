"""Rebuild the hourly sign-in rollups for the hours a sync touched, and read them back."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncHour

from m365admin.models import SignIn, SignInHourly, Tenant
from m365admin.models.signins import RISKY, SUCCESS_CODE

# The sign-in explorer's groupings (m365admin.signin_groups) that whole hours answer, with the
# columns each groups on; "country" is answered by the rollups' `countries`.
GROUPED_FIELDS: dict[str, tuple[str, ...]] = {
    "reason": ("error_code",),
    "app": ("app_id", "app_display_name"),
    "client_app": ("client_app_used",),
}
ROLLED_UP = {*GROUPED_FIELDS, "country"}
# One group: the values of its columns (an error code, an application's id and name…).
type GroupKey = tuple[int | str, ...]


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def version(start: datetime, end: datetime) -> tuple[int | None, int, int | None]:
    """Changes whenever sign-ins of [start, end) are stored, stored again or removed, as the
    sign-in sync does it: the newest sign-in's id, and the window's rollup rows, which every
    refresh writes anew (a removed tenant takes its rows along)."""
    hours = SignInHourly.objects.filter(hour__gte=hour_floor(start), hour__lt=end).aggregate(
        n=Count("pk"), last=Max("pk"))
    return SignIn.objects.aggregate(last=Max("id"))["last"], hours["n"], hours["last"]


def refresh_signin_hours(tenant: Tenant, since: datetime, until: datetime) -> int:
    """Recompute the tenant's rollup rows for every hour in [since, until); returns the count.

    Recomputed from the raw rows rather than incremented, so a re-synced overlap or a late
    sign-in never counts twice.
    """
    start, end = hour_floor(since), hour_floor(until) + timedelta(hours=1)
    # UTC hours, named: no time zone to look up for each of the thousands of rows per window.
    signins = SignIn.objects.filter(tenant=tenant).between(start, end).annotate(
        bucket=TruncHour("created", tzinfo=UTC)
    )
    # Per hour and country in one scan; an hour's totals are the sums of its countries'.
    hours: dict[datetime, SignInHourly] = {}
    for row in signins.values("bucket", "country").annotate(
        n=Count("pk"),
        failed=Count("pk", filter=~Q(error_code=SUCCESS_CODE)),
        risky=Count("pk", filter=RISKY),
    ).order_by():
        hour = hours.get(row["bucket"])
        if hour is None:
            hour = hours[row["bucket"]] = SignInHourly(
                tenant=tenant, hour=row["bucket"], total=0, failed=0, risky=0, countries={})
        hour.total += row["n"]
        hour.failed += row["failed"]
        hour.risky += row["risky"]
        hour.countries[row["country"]] = row["n"]
    groups = _groups(signins)
    for hour in hours.values():
        hour.groups = groups.get(hour.hour, {})
    rows = list(hours.values())
    with transaction.atomic():
        SignInHourly.objects.filter(tenant=tenant).between(start, end).delete()
        SignInHourly.objects.bulk_create(rows)
    return len(rows)


def _groups(signins: QuerySet[SignIn]) -> dict[datetime, dict[str, list[list[int | str]]]]:
    """Per hour, the sign-ins per value of each of GROUPED_FIELDS: one grouped query on
    every column they use, folded per grouping here."""
    columns = sorted({name for names in GROUPED_FIELDS.values() for name in names})
    counted: dict[datetime, dict[str, Counter[GroupKey]]] = defaultdict(
        lambda: {key: Counter() for key in GROUPED_FIELDS})
    for row in signins.values("bucket", *columns).annotate(n=Count("pk")).order_by():
        for key, names in GROUPED_FIELDS.items():
            counted[row["bucket"]][key][tuple(row[name] for name in names)] += row["n"]
    return {
        hour: {key: [[*values, n] for values, n in found.items()] for key, found in per.items()}
        for hour, per in counted.items()
    }


@dataclass(frozen=True)
class HourCounts:
    counts: Counter[GroupKey]
    start: datetime  # of the first hour counted
    end: datetime  # of the last


def grouped_in_hours(hours: QuerySet[SignInHourly], key: str) -> HourCounts | None:
    """Sign-ins per value of the grouping `key` (one of ROLLED_UP) over these rollup rows;
    None without rows, or if one of them was rolled up before it counted that grouping."""
    counts: Counter[GroupKey] = Counter()
    seen = []
    for hour, total, countries, groups in hours.values_list("hour", "total", "countries",
                                                            "groups"):
        if key == "country":
            counts.update({(code,): n for code, n in countries.items()})
        elif key in groups:
            counts.update({tuple(values): n for *values, n in groups[key]})
        elif total:
            return None
        seen.append(hour)
    if not seen:
        return None
    return HourCounts(counts, min(seen), max(seen) + timedelta(hours=1))
