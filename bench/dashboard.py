"""Dashboard and sign-in explorer latency on a large sign-in table.

Loads --rows sign-ins into a fresh PostgreSQL database (monthly partitions, the real indexes),
spread over the last 30 days across --tenants tenants. Each tenant's directory (users,
licences, mailboxes, OneDrive, Teams, service health) is synced by the real collectors from
the Graph simulator; its sign-ins are the simulator's own stream (its users, countries,
client apps, failure codes, password-spray and impossible-travel episodes), mapped by the
collector's RowMapper and written with the collector's binary COPY, without the HTTPS and JSON
in between. Then the hourly rollups are built (m365admin.rollups.refresh_signin_hours), the
table is vacuumed and analysed as autovacuum would have, and an hour of metric and request
history is added.

Then the threat detections run over the last --detect-days days of every tenant (what the
syncs of those days would have found; a backfill of all 5,000,000 would take some 20 minutes
on a quiet machine) and the alert rules are evaluated once, so the security and alert pages
show what they would.

Prints p50/p95 latency (ms) over --runs runs of: the dashboard's tenant tiles and the tick's
snapshot; the sign-in explorer's queries as plain ORM on the indexes; and the real pages
through Django's test Client in this process (views, middleware, templates; no HTTP server),
signed in as a Viewer: /dashboard/, /signins/?… with the same filters as each query, each
/signins/?group=… over the default 24 hours of every tenant, a sign-in's page, the tenants
page, /licences/, /alerts/, /security/ and the threat pages (a page that does not render is
reported, not timed). The pages that cache their counts while the data is unchanged (the
groupings and /threats/) are timed twice: as asked again, and as a first view, their cache
forgotten before each run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/dashboard.py --rows 5000000 --runs 50

DATABASE_URL names the server: each run makes a fresh database there and drops it, unless
--keep; --database NAME times again against a kept one (or one a killed run left), without
loading.
The default --rows 50000 is a trial run. Loading goes at about 25,000 sign-ins a second here:
5,000,000 take some 4 minutes, plus a minute or two for the rollups and VACUUM.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import common

DAYS = 30
WARM_UP = 2
BATCH = 10_000
NEWEST = ("-created", "-id")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000, help="sign-ins (50000; full: 5000000)")
    parser.add_argument("--tenants", type=int, default=5, help="tenants sharing them (5)")
    parser.add_argument("--users", type=int, default=2000, help="users per tenant (2000)")
    parser.add_argument("--runs", type=int, default=30, help=f"timed runs, after {WARM_UP} warm-up (30)")
    parser.add_argument("--detect-days", type=float, default=3,
                        help="days of sign-ins the detections run over (3)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the database for --database instead of dropping it")
    parser.add_argument("--database", metavar="NAME",
                        help="time again against a database an earlier run kept: no loading; "
                             "detections resume where they stopped")
    args = parser.parse_args()
    if args.database:
        with common.kept_database(args.database):
            from django.utils import timezone

            from m365admin.models import SignIn, Tenant

            now = timezone.now()
            tenants = list(Tenant.objects.order_by("pk"))
            args.rows, args.tenants = SignIn.objects.count(), len(tenants)
            common.seed_history()  # the last hour again: the kept one has aged
            cases = _measure(tenants, now, args)
    else:
        with common.live_site(keep=args.keep) as site:
            from django.utils import timezone

            now = timezone.now()
            tenants = load_signins(str(site.var_dir / "simulator"), args.rows, args.tenants,
                                   args.users, now)
            common.seed_history()
            cases = _measure(tenants, now, args)
    _report(cases, args.rows, args.tenants, args.runs)


def _measure(tenants: list, now, args) -> list[Case]:
    _detect_and_alert(tenants, now - timedelta(days=args.detect_days))
    cases = _cases(tenants[0], now, _signed_in_client())
    _time(cases, args.runs)
    return cases


# Loading ------------------------------------------------------------------------------------


def load_signins(state_dir: str, rows: int, tenants: int, users: int, now) -> list:
    from django.db import connection

    from m365admin.choices import Collector
    from m365admin.rollups import refresh_signin_hours

    directory = [c for c in Collector.values if c != Collector.SIGNINS]
    loaded, copy_seconds, rollup_seconds = [], 0.0, 0.0
    for seed in range(1, tenants + 1):
        count = rows // tenants + (seed <= rows % tenants)
        with common.simulated_tenant(state_dir, seed=seed, users=users, signins=0,
                                     collectors=directory) as tenant:
            started = time.perf_counter()
            _copy_signins(tenant, seed, users, count, now)
            copy_seconds += time.perf_counter() - started
        started = time.perf_counter()
        refresh_signin_hours(tenant, now - timedelta(days=DAYS + 1), now)
        rollup_seconds += time.perf_counter() - started
        loaded.append(tenant)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) m365admin_signin")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT (SELECT count(*) FROM m365admin_signin), "
                       "(SELECT sum(pg_total_relation_size(relid)) "
                       " FROM pg_partition_tree('m365admin_signin'))")
        stored, size = cursor.fetchone()
    print(f"loaded {stored:,} sign-ins ({size / 2**20:,.0f} MB with indexes) for {tenants} "
          f"tenants in {copy_seconds:.0f} s ({stored / copy_seconds:,.0f}/s); rollups "
          f"{rollup_seconds:.1f} s; VACUUM ANALYZE {time.perf_counter() - started:.1f} s")
    return loaded


def _copy_signins(tenant, seed: int, users: int, count: int, now) -> None:
    """The sign-ins the simulator would serve for this tenant, stored as the collector would
    store them: its RowMapper, then its binary COPY, a batch per transaction."""
    import msgspec
    from django.db import connection, transaction

    from collectors.simulator import SimTenant
    from collectors.simulator.clock import to_us
    from collectors.sync.signin_rows import CREATED, RowMapper, SignInItem
    from collectors.sync.signins import _binary_copy, map_page
    from m365admin import partitions

    # The same (tenant id, seed, users) as the simulator that synced the directory: same users.
    stream = SimTenant(**common.tenant_spec(seed), users=users, signins=count, days=DAYS,
                       seed=seed).signins
    mapper = RowMapper(tenant.pk, now)
    items = stream.iter_all(to_us(now - timedelta(days=DAYS)), to_us(now))
    with connection.cursor() as cursor:
        for batch in itertools.batched(items, BATCH):
            rows = map_page(mapper, msgspec.convert(batch, list[SignInItem])).rows
            partitions.SIGNINS.ensure_for(row[CREATED] for row in rows)
            with transaction.atomic():
                _binary_copy(cursor, partitions.SIGNIN_TABLE, rows)


def _detect_and_alert(tenants: list, since) -> None:
    """The detections over each tenant's sign-ins since `since` (its cursor set there, unless
    an earlier run left one), then one evaluation of the alert rules, as the scheduler's tick
    does."""
    from django.db import connection

    from m365admin.models import SignIn
    from monitoring.alerts import alerting
    from monitoring.messages import Tick
    from security.detections import runner
    from security.models import DetectionCursor, SecurityEvent

    started, read = time.perf_counter(), 0
    for tenant in tenants:
        first = SignIn.objects.filter(tenant=tenant, created__gte=since).order_by("id").first()
        if first is None:
            continue
        DetectionCursor.objects.get_or_create(name=f"signins:{tenant.pk}",
                                              defaults={"last_id": first.pk - 1})
        read += runner.run(tenant).read
    alerting.evaluate(alerting.observe(Tick()))
    # Autoanalyze would have run after so many new rows; PostgreSQL here runs without
    # autovacuum (CI's configuration), and plans made on the empty tables' statistics would
    # be timed instead (a sort of every event for the threat list's latest: 38.5 ms, not 1).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"detections over {read:,} sign-ins: {SecurityEvent.objects.count():,} events in "
          f"{time.perf_counter() - started:.0f} s")


# Timing -------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    call: Callable[[], object] | None = None  # a function, or a plain ORM query
    page: Callable[[], object] | None = None  # a GET of the page
    missing: str = ""  # why the page could not be timed
    # A first view: before each run (untimed) the cached aggregates are forgotten, as when the
    # data has just changed (m365admin.lib.versioned_cache).
    first_view: bool = False
    call_ms: list[float] = field(default_factory=list)
    page_ms: list[float] = field(default_factory=list)


def _signed_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from security import roles
    from tests.live import USERNAME

    user = get_user_model().objects.get(username=USERNAME)
    roles.assign(user, roles.VIEWER)  # the security and threat pages too
    client = Client(SERVER_NAME="127.0.0.1")  # an allowed host, as a browser would send
    client.force_login(user)
    return client


def _cases(tenant, now, client) -> list[Case]:
    from django.urls import reverse

    from m365admin.lib import keyset
    from m365admin.models import SignIn
    from m365admin.overview import tenant_tiles
    from m365admin.signin_groups import GROUPINGS
    from monitoring.tick import build_snapshot
    from security import threats

    day, week = now - timedelta(hours=24), now - timedelta(days=7)
    ours = SignIn.objects.filter(tenant=tenant)
    # An active user (the latest to sign in), and the row halfway through the week.
    user = ours.between(day, now).order_by(*NEWEST).first()
    halfway = ours.between(week, now - timedelta(days=3.5)).order_by(*NEWEST).first()
    signins, code = reverse("m365admin:signin-list"), str(tenant.code)

    def newest(queryset) -> Callable[[], list]:
        return lambda: list(queryset.order_by(*NEWEST)[:50])

    def get(path: str, params: dict[str, str] | None = None) -> Callable[[], None]:
        def call() -> None:
            response = client.get(path, params)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} {params} answered {response.status_code}")
        return call

    def explorer(since, **filters: str) -> Callable[[], None]:
        window = {"since": since.isoformat(), "until": now.isoformat()}
        return get(signins, _valid_filters(window | filters))

    return [
        Case("tenant tiles (overview.tenant_tiles)", tenant_tiles),
        Case("tick snapshot (tick.build_snapshot)", lambda: build_snapshot(latest=None)),
        Case("dashboard page", page=get(reverse("monitoring:dashboard"))),
        Case("tenant, 24 h: newest 50",
             newest(ours.between(day, now)),
             explorer(day, tenant=code)),
        Case("one user, 7 days: newest 50",
             newest(ours.filter(user_graph_id=user.user_graph_id).between(week, now)),
             explorer(week, tenant=code, user=user.user_principal_name)),
        Case("failed, all tenants, 24 h: newest 50",
             newest(SignIn.objects.between(day, now).failed()),
             explorer(day, status="failed")),
        Case("country JP + IMAP, 7 days: newest 50",
             newest(ours.filter(country="JP", client_app_used="IMAP").between(week, now)),
             explorer(week, tenant=code, country="JP", client_app_used="IMAP")),
        Case("next page halfway through 7 days (keyset)",
             newest(ours.between(week, now).older_than(halfway.created, halfway.pk)),
             explorer(week, tenant=code, cursor=keyset.encode(halfway.created, halfway.pk))),
        *[Case(f"/signins/?group={key} (every tenant, 24 h)", page=get(signins, {"group": key}))
          for key in GROUPINGS],
        *[Case(f"/signins/?group={key}: first view", page=get(signins, {"group": key}),
               first_view=True) for key in GROUPINGS],
        Case("/signins/<id>/ (a sign-in's page)",
             page=get(reverse("m365admin:signin-detail", args=[user.pk]))),
        Case("tenants page", page=get(reverse("m365admin:tenant-list"))),
        Case("/licences/", page=get(reverse("m365admin:licence-list"))),
        Case("/alerts/", page=get(reverse("monitoring:alert-list"))),
        Case("/security/", page=get(reverse("security:overview"))),
        Case("/threats/", page=get(reverse("security:threats"))),
        Case("/threats/: first view", page=get(reverse("security:threats")), first_view=True),
        *_threat_event_cases(threats.detection_events(), get),
        Case("/threats/users/ (the latest user's 30 days)",
             page=get(reverse("security:threat-user"),
                      {"tenant": code, "user": user.user_principal_name})),
        Case("/threats/posture/", page=get(reverse("security:posture"))),
    ]


def _threat_event_cases(events, get) -> list[Case]:
    """The event page of the detection with the most evidence (the heaviest to show)."""
    from django.db.models import F, Func, IntegerField
    from django.urls import reverse

    evidence = Func(F("evidence"), function="jsonb_array_length", output_field=IntegerField())
    event = events.filter(tenant__isnull=False).order_by(evidence.desc()).first()
    if event is None:
        return [Case("/threats/events/<id>/", missing="no detection found an event")]
    return [Case(f"/threats/events/<id>/ ({len(event.evidence)} sign-ins of evidence)",
                 page=get(reverse("security:threat-event", args=[event.pk])))]


def _valid_filters(filters: dict[str, str]) -> dict[str, str]:
    """The page shows its default listing for filters it rejects: that must not be timed."""
    from m365admin.filtersets import SignInFilterSet

    form = SignInFilterSet(filters).form
    if not form.is_valid():
        sys.exit(f"the sign-in explorer rejects {filters}: {form.errors.as_text()}")
    return filters


def _drop_missing_pages(cases: list[Case]) -> None:
    """Pages still being written (a template not there yet, say) are reported, not timed."""
    logging.disable(logging.ERROR)  # django.request would log each one's traceback
    try:
        for case in cases:
            try:
                if case.page is not None:
                    case.page()
            except Exception as exc:
                case.page, case.missing = None, f"{type(exc).__name__}: {exc}"
    finally:
        logging.disable(logging.NOTSET)


def _time(cases: list[Case], runs: int) -> None:
    """Runs alternate between the cases, so load from elsewhere on the machine hits all alike."""
    from m365admin.lib import versioned_cache

    _drop_missing_pages(cases)
    for run in range(WARM_UP + runs):
        for case in cases:
            for call, timed in ((case.call, case.call_ms), (case.page, case.page_ms)):
                if call is not None:
                    kept = versioned_cache.NAMESPACE
                    if case.first_view:  # nothing cached under a namespace of its own
                        versioned_cache.NAMESPACE = f"aggregate:{uuid.uuid4().hex}:"
                    started = time.perf_counter()
                    call()
                    if run >= WARM_UP:
                        timed.append(1000 * (time.perf_counter() - started))
                    versioned_cache.NAMESPACE = kept


def _report(cases: list[Case], rows: int, tenants: int, runs: int) -> None:
    print(f"dashboard and sign-in explorer: {rows:,} sign-ins, {tenants} tenants, {DAYS} days; "
          f"ms over {runs} runs (after {WARM_UP} warm-up)")

    def figures(times: list[float]) -> list[str]:
        return [f"{statistics.median(times):.1f}", f"{common.p95(times):.1f}"] if times else ["", ""]

    print(common.table(
        ["what", "query p50", "p95", "page p50", "p95"],
        [[case.name, *figures(case.call_ms), *figures(case.page_ms)] for case in cases],
    ))
    for case in cases:
        if case.missing:
            print(f"{case.name}: not timed, {case.missing}")
    print("query: the function, or the ORM query on the indexes; page: GET through Django's test "
          "Client (the view, middleware and template, no HTTP server). Target: page p95 < 100 ms.")


if __name__ == "__main__":
    main()
