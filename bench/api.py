"""The API's list pages against their floor: the same rows read with `.values()` and encoded
with msgspec, on the same data and page size, in one run.

Seeds one tenant with --signins recent sign-ins, --users directory users and --alerts open
alerts, then times, through Django's test client signed in as a Viewer, the first page of
`/api/v1/sign-ins/`, `/api/v1/users/` and `/api/v1/alerts/` (--page rows each), and the same
rows as `.values()` + `msgspec.json.encode`. Prints the median and p95 in ms and the ratio of
the medians (the issue's target is 1.5 or less).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/api.py --signins 20000 --users 2000 --alerts 2000 --runs 30

DATABASE_URL names the server: each run makes a fresh database there and drops it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

import common


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signins", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--alerts", type=int, default=2_000)
    parser.add_argument("--page", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    # The bench's own requests must not meet the API's rate limits (100/min by default).
    with common.live_site(RATELIMIT_USER="1000000/m", RATELIMIT_IP="1000000/m"):
        client = _seed(args)
        rows = [_compare(client, *endpoint, args.page, args.runs) for endpoint in _endpoints()]
    print(f"API list pages of {args.page} rows against .values() + msgspec; ms over "
          f"{args.runs} runs (shared machine). 1-row p50: the same request for one row, the "
          "cost of any API request (session, user, permissions, rate limits, second factor)")
    print(common.table(["list", "API p50", "API p95", "floor p50", "floor p95", "ratio",
                        "1-row p50", "KB"], rows))


def _seed(args):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from m365admin.models import DirectoryUser, SignIn
    from monitoring.models import Alert
    from security import roles
    from tests.factories import make_alert, make_rows, make_tenant

    tenant = make_tenant(name="Bench")
    now = datetime.now(UTC)
    make_rows(SignIn, tenant, args.signins, created=lambda i: now - timedelta(seconds=i + 1),
              user_display_name="Adele Vance", app_display_name="Office 365 Exchange Online",
              ip_address="203.0.113.7", country="JP", city="Tokyo", latitude=35.68,
              longitude=139.69, risk_event_types=["unfamiliarFeatures"])
    make_rows(DirectoryUser, tenant, args.users, display_name="Adele Vance",
              assigned_licenses=[{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}])
    first = make_alert(tenant=tenant)
    Alert.objects.bulk_create([
        Alert(rule=first.rule, tenant=tenant, fingerprint=f"{i:064x}", labels={"n": str(i)},
              status="firing", severity="warning", summary=f"alert {i}")
        for i in range(args.alerts - 1)
    ], batch_size=2000)
    user = get_user_model().objects.create_user("bench-viewer", password="x" * 20)
    roles.assign(user, roles.VIEWER)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    # Statistics as autovacuum would have them: without, PostgreSQL believes the tables empty
    # and sorts every sign-in instead of reading the newest through their index.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return client


def _endpoints():
    """(name, URL, page size parameter, the floor: the same rows as `.values()`)."""
    from django.db.models import F

    from m365admin.api.views import DirectoryUserViewSet, SignInViewSet
    from monitoring.api.views import AlertViewSet

    def floor(viewset, order, **related):
        # Related values under their own names (`tenant_code`): values() may not reuse a
        # field's name for an expression.
        model = viewset.queryset.model
        plain = [f for f in viewset.serializer_class.Meta.fields
                 if f in {field.attname for field in model._meta.concrete_fields}]
        return lambda size: list(model.objects.order_by(*order).values(*plain, **related)[:size])

    return [
        ("sign-ins", "/api/v1/sign-ins/", "page_size",
         floor(SignInViewSet, ("-created", "-id"), tenant_code=F("tenant__code"))),
        ("users", "/api/v1/users/", "limit",
         floor(DirectoryUserViewSet, ("id",), tenant_code=F("tenant__code"))),
        ("alerts", "/api/v1/alerts/", "limit",
         floor(AlertViewSet, ("-last_seen",), tenant_code=F("tenant__code"),
               rule_name=F("rule__name"), rule_source=F("rule__source"),
               acknowledged_by_name=F("acknowledged_by__username"),
               resolved_by_name=F("resolved_by__username"))),
    ]


def _timed(actions, runs: int) -> list[list[float]]:
    """ms per run of each action, after two warm-up runs; the actions take turns, so a change
    in the machine's load weighs on all of them alike."""
    timings = [[] for _ in actions]
    for run in range(runs + 2):
        for action, spent in zip(actions, timings, strict=True):
            started = time.perf_counter()
            action()
            if run >= 2:
                spent.append((time.perf_counter() - started) * 1000)
    return timings


def _compare(client, name, url, size_param, floor_rows, page_size, runs):
    import msgspec

    def api(size=page_size):
        response = client.get(url, {size_param: size})
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response

    def floor():
        return msgspec.json.encode(floor_rows(page_size))

    size_kb = len(api().content) / 1024
    api_ms, floor_ms, one_row_ms = _timed([api, floor, lambda: api(1)], runs)
    ratio = statistics.median(api_ms) / statistics.median(floor_ms)
    return [name, f"{statistics.median(api_ms):.1f}", f"{common.p95(api_ms):.1f}",
            f"{statistics.median(floor_ms):.1f}", f"{common.p95(floor_ms):.1f}",
            f"{ratio:.2f}", f"{statistics.median(one_row_ms):.1f}", f"{size_kb:.0f}"]


if __name__ == "__main__":
    main()
