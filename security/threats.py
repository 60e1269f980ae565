"""What the threat pages read: the detections' events, their evidence, one user's timeline.

Every read of sign-ins here is bounded in time (`SignIn.objects.between`), so PostgreSQL opens
only the monthly partitions it needs, and every page makes a fixed number of queries however
many rows it shows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone, translation

from m365admin.filtersets import SignInFilterSet
from m365admin.lib import versioned_cache
from m365admin.models import SignIn, Tenant
from security.choices import DETECTION_KINDS
from security.models import SecurityEvent

# The chart's span, and how far back a user's timeline reads.
DAYS = 30
# A timeline shows at most this many sign-ins (newest first) and says so when there are more,
# linking to the explorer's list of them all (200 rows took 60 ms to render).
TIMELINE_LIMIT = 100
# The latest-events table names the addresses of this many sign-ins of each event at most:
# enough to show who it came from without reading 200 sign-ins for each row of a page.
ADDRESS_SAMPLE = 25


def detection_events() -> QuerySet[SecurityEvent]:
    """Events found in M365 sign-ins (the other kinds are attacks on this app: /security/)."""
    return SecurityEvent.objects.filter(kind__in=DETECTION_KINDS)


def involving(events: QuerySet[SecurityEvent], user: str) -> QuerySet[SecurityEvent]:
    """The events whose `users` name this account (events keep UPNs lower-cased)."""
    user = user.strip().lower()
    if connection.features.supports_json_field_contains:
        return events.filter(users__contains=[user])
    # SQLite has no JSON containment: match the element as it is stored, quotes included,
    # so "kim@contoso.com" does not match "akim@contoso.com".
    return events.filter(users__icontains=json.dumps(user))


def since(days: int = DAYS, now: datetime | None = None) -> datetime:
    """The start of the first of the last `days` days (today included), in the site's zone."""
    today = timezone.localdate(now)
    return timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), time.min))


def days_until(now: datetime | None = None, days: int = DAYS) -> list[date]:
    today = timezone.localdate(now)
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def daily_chart(events: QuerySet[SecurityEvent], now: datetime | None = None) -> dict:
    """Events per day and detection over the last DAYS days (by when their sign-ins began),
    for static/js/threats.js: one series per detection, one count per day."""
    days = days_until(now)
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    rows = (events.filter(window_start__gte=since(now=now))
            .annotate(day=TruncDate("window_start")).values("day", "kind")
            .annotate(n=Count("id")).order_by())
    for row in rows:
        counts[row["kind"]][row["day"]] = row["n"]
    series = []
    for kind in DETECTION_KINDS:
        if kind.value in counts:
            per_day = [counts[kind.value].get(day, 0) for day in days]
            series.append({"kind": str(kind.value), "label": str(kind.label),
                           "counts": per_day, "total": sum(per_day)})
    return {"days": [day.isoformat() for day in days], "series": series}


@dataclass(frozen=True)
class CountryRow:
    country: str
    events: int
    users: int  # distinct


# Per country ("—" for events that name none): its events, and its distinct users, counted
# in the database from each event's JSON lists: one pass over the (event, country, user)
# rows, a row per country back. An event that names no user still counts (LEFT JOIN).
_BY_COUNTRY = """
    SELECT c.value, COUNT(DISTINCT event.id), COUNT(DISTINCT a.value)
    FROM ({events}) event
    CROSS JOIN {each}(CASE WHEN {length}(event.countries) > 0 THEN event.countries
                      ELSE %s END) {c}
    LEFT JOIN {each}(event.users) {a} ON TRUE
    GROUP BY c.value
"""
# Each database's JSON functions: an array's length, and its elements as rows named "value".
_JSON_ROWS = {
    "postgresql": {"length": "jsonb_array_length", "each": "jsonb_array_elements_text",
                   "c": "AS c(value)", "a": "AS a(value)"},
    "sqlite": {"length": "json_array_length", "each": "json_each", "c": "AS c", "a": "AS a"},
}


def by_country(events: QuerySet[SecurityEvent], now: datetime | None = None) -> list[CountryRow]:
    """Per country in the last DAYS days: the events that came from it and the distinct
    users involved, most events first."""
    recent = (events.filter(window_start__gte=since(now=now)).order_by()
              .values("id", "countries", "users"))
    sql, params = recent.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL guesses 100 elements per JSON array, so a query this cheap would be
            # JIT-compiled: 0.2 s at 30,000 events became 0.7 s.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_BY_COUNTRY.format(events=sql, **_JSON_ROWS[connection.vendor]),
                       [*params, json.dumps(["—"])])
        rows = [CountryRow(country, n, users) for country, n, users in cursor.fetchall()]
    return sorted(rows, key=lambda r: (-r.events, r.country))


@dataclass(frozen=True)
class Summary:
    chart: dict  # daily_chart
    countries: list[CountryRow]  # by_country


def summary(events: QuerySet[SecurityEvent], now: datetime | None = None) -> Summary:
    """The daily chart and the country table of `events`, from the cache while none of the
    last DAYS days' events has been added, removed or changed since they were counted (one
    count of them instead of unnesting every event's lists: 80 ms at 17,000 events)."""
    recent = events.filter(window_start__gte=since(now=now)).order_by()
    seen = recent.aggregate(n=Count("pk"), last=Max("changed"))
    # Labels are translated and days are the reader's: both are part of what was asked.
    asked = (recent.query.sql_with_params(), translation.get_language(),
             timezone.get_current_timezone_name())
    return versioned_cache.cached(
        "threats.summary", asked, (seen["n"], seen["last"]),
        lambda: Summary(daily_chart(events, now), by_country(events, now)))


def _bounded(events: list[SecurityEvent]) -> QuerySet[SignIn] | None:
    """The sign-ins these events' windows span, or None when they have no window."""
    starts = [e.window_start for e in events if e.window_start]
    ends = [e.window_end for e in events if e.window_end]
    if not starts or not ends:
        return None
    # Half-open: one microsecond past the last window so its last sign-in is in.
    return SignIn.objects.between(min(starts), max(ends) + timedelta(microseconds=1))


def evidence(event: SecurityEvent) -> list[SignIn]:
    """The sign-ins the event names as evidence, oldest first (those still stored)."""
    signins = _bounded([event])
    if signins is None or not event.evidence or event.tenant_id is None:
        return []
    return list(signins.filter(tenant_id=event.tenant_id, graph_id__in=event.evidence)
                .order_by("created", "id"))


def addresses(events: list[SecurityEvent]) -> dict[int, list[str]]:
    """Each event's IP addresses: its own, else those of its first ADDRESS_SAMPLE sign-ins
    (one query for the whole list)."""
    found: dict[int, list[str]] = {e.pk: [e.ip_address] for e in events if e.ip_address}
    rest = [e for e in events if not e.ip_address and e.evidence and e.tenant_id]
    signins = _bounded(rest)
    if signins is None:
        return found
    owners: dict[tuple[int, str], list[int]] = defaultdict(list)
    for event in rest:
        for graph_id in event.evidence[:ADDRESS_SAMPLE]:
            owners[(event.tenant_id, graph_id)].append(event.pk)
    rows = (signins.filter(tenant_id__in={e.tenant_id for e in rest},
                           graph_id__in={graph_id for _tenant, graph_id in owners})
            .exclude(ip_address=None).values_list("tenant_id", "graph_id", "ip_address"))
    seen: dict[int, set[str]] = defaultdict(set)
    for tenant_id, graph_id, ip in rows:
        for pk in owners.get((tenant_id, graph_id), []):
            seen[pk].add(ip)
    for pk, ips in seen.items():
        found[pk] = sorted(ips)
    return found


@dataclass
class Timeline:
    signins: list[SignIn]
    # Sign-in pk -> the events that name it as evidence.
    marks: dict[int, list[SecurityEvent]]
    events: list[SecurityEvent]
    truncated: bool
    start: datetime
    end: datetime


def timeline(user: str, tenant: Tenant | None, now: datetime | None = None) -> Timeline:
    """One account's sign-ins over the last DAYS days, newest first (TIMELINE_LIMIT at most),
    each with the detections that used it as evidence, and those detections."""
    end = (now or timezone.now()) + timedelta(microseconds=1)
    start = end - timedelta(days=DAYS)
    signins = SignIn.objects.between(start, end)
    events = involving(detection_events(), user).filter(window_end__gte=start)
    if tenant is not None:
        signins, events = signins.filter(tenant=tenant), events.filter(tenant=tenant)
    # The explorer's own lookup: through the directory to (tenant, user id), which the
    # sign-ins' (tenant, user, created) index answers, and which finds former UPNs too.
    signins = SignInFilterSet(queryset=signins).filter_user(signins, "user", user.strip())
    rows = list(signins.select_related("tenant").order_by("-created", "-id")[:TIMELINE_LIMIT + 1])
    found = list(events.select_related("tenant").order_by(
        F("window_end").desc(nulls_last=True), "-id"))
    named: dict[tuple[int, str], list[SecurityEvent]] = defaultdict(list)
    for event in found:
        for graph_id in event.evidence:
            named[(event.tenant_id, graph_id)].append(event)
    rows, truncated = rows[:TIMELINE_LIMIT], len(rows) > TIMELINE_LIMIT
    return Timeline(
        signins=rows,
        marks={s.pk: named[(s.tenant_id, s.graph_id)] for s in rows
               if (s.tenant_id, s.graph_id) in named},
        events=found, truncated=truncated, start=start, end=end,
    )
