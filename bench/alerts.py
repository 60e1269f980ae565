"""Alert rule evaluation against a tick, and 10,000 open alerts in the admin list and the API.

Evaluates --rules enabled rules (spread over every source, with tenants' sync and service
health observations) against one tick, repeatedly: the cost the scheduler pays each tick.
Then, with --alerts open alerts in the table (of 50 rules), times the admin changelist, the API
list (first page, filtered to open alerts), the API's groups (the dashboard panel) and the
grouped /alerts/ page through Django's test client, signed in as a superuser.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/alerts.py --rules 500 --alerts 10000 --runs 30

DATABASE_URL names the server: each run makes a fresh database there and drops it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with common.live_site():
        rows = [_evaluation(args.rules, args.runs)]
        rows += _lists(args.alerts, args.runs)
    print(f"alerts: {args.rules} rules, {args.alerts:,} open alerts; ms over {args.runs} runs")
    print(common.table(["what", "p50", "p95"], rows))


def _rules(count: int) -> None:
    from m365admin.choices import AlertSource, Component
    from monitoring.models import AlertRule

    kinds = [
        (AlertSource.METRIC, "cpu", 80), (AlertSource.METRIC, "memory", 85),
        (AlertSource.REQUESTS, "p95", 2000), (AlertSource.SYNC, "consecutive_failures", 3),
        (AlertSource.SERVICE_HEALTH, "level", 1),
        *[(AlertSource.COMPONENT, c.value, 2) for c in Component],
    ]
    AlertRule.objects.all().delete()
    AlertRule.objects.bulk_create([
        AlertRule(name=f"rule {i}", source=kinds[i % len(kinds)][0], metric=kinds[i % len(kinds)][1],
                  comparison="gte", threshold=kinds[i % len(kinds)][2], for_seconds=60,
                  severity="warning")
        for i in range(count)
    ])


def _evaluation(rules: int, runs: int) -> list[object]:
    from m365admin.models import ServiceHealth, SyncRun
    from monitoring.alerts import alerting
    from monitoring.messages import Metrics, Requests, Tick
    from tests.factories import component_health, make_rows, make_tenant

    _rules(rules)
    for _n in range(5):  # tenants with a failing collector and a degraded service
        tenant = make_tenant()
        make_rows(SyncRun, tenant, 3, collector="users", status="failed")
        make_rows(ServiceHealth, tenant, 3, status="serviceDegradation")
    tick = Tick(
        metrics=Metrics(cpu=95.0, memory=40.0, swap=0.0, disk=50.0),
        requests=Requests(interval_start=0.0, count=100, p95=2500.0, p99=3000.0,
                          error_rate=1.0),
        health=[component_health(c, "down" if c == "graph" else "up")
                for c in ("api", "database", "graph", "exchange", "auth", "cache", "queue")],
    )
    timings = []
    for _ in range(runs + 2):
        started = time.perf_counter()
        alerting.evaluate(alerting.observe(tick))
        alerting.open_counts()
        timings.append((time.perf_counter() - started) * 1000)
    timings = timings[2:]
    return [f"evaluate {rules} rules against a tick", f"{statistics.median(timings):.1f}",
            f"{common.p95(timings):.1f}"]


def _lists(count: int, runs: int) -> list[list[object]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from monitoring.models import Alert, AlertRule

    rules = list(AlertRule.objects.order_by("pk")[:50])  # 50 kinds, for the grouped views
    Alert.objects.all().delete()
    Alert.objects.bulk_create([
        Alert(rule=rules[i % len(rules)], fingerprint=f"{i:064x}", labels={"n": str(i)},
              status="firing",
              severity=("info", "warning", "error", "critical")[i % 4], summary=f"alert {i}")
        for i in range(count)
    ], batch_size=2000)
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x" * 20)
    client = Client(SERVER_NAME="127.0.0.1")  # an allowed host, as a browser would send
    client.force_login(user)
    # A superuser owes a second factor (security/otp.py): the session is verified as a real
    # one is, by a confirmed TOTP device named in it.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True).persistent_id
    session.save()
    rows = []
    panel = "/api/v1/alerts/groups/?status=firing&status=acknowledged&held_back=false"
    for what, url in (("admin changelist (first page)", "/admin/monitoring/alert/"),
                      ("API /api/v1/alerts/?open=true", "/api/v1/alerts/?open=true"),
                      ("API groups (the dashboard panel)", panel),
                      ("/alerts/ grouped by rule", "/alerts/")):
        timings = []
        for _ in range(runs + 2):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        timings = timings[2:]
        rows.append([what, f"{statistics.median(timings):.1f}", f"{common.p95(timings):.1f}"])
    return rows


if __name__ == "__main__":
    main()
