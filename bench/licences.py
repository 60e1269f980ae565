"""The licences page, its API and the activity rollup at 20 tenants × 30 SKUs × 5,000 users.

Builds --tenants tenants with --skus subscribed SKUs each (real SKU ids, half of them priced)
and --users licensed users each (1–3 SKUs, a tenth disabled, last sign-ins spread over 200
days; one tenant without Entra ID P1), rebuilds the activity rollup per tenant (what a sync
pays), then times /licences/ (all tenants, one tenant), /api/v1/licences/ and the first page of
/api/v1/licences/reclaim through Django's test client, signed in as a Viewer: wall clock and
this process's CPU time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/licences.py --tenants 20 --skus 30 --users 5000 --runs 30

DATABASE_URL names the server: each run makes a fresh database there and drops it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta

import common


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--skus", type=int, default=30)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with common.live_site():
        tenants = _estate(args.tenants, args.skus, args.users)
        _analyze()
        rows = [_rollup(tenants)]
        _analyze()
        rows += _pages(tenants[0], args.runs)
    print(f"licences: {args.tenants} tenants × {args.skus} SKUs × {args.users:,} users; "
          f"ms over {args.runs} runs")
    print(common.table(["what", "p50", "p95", "CPU p50"], rows))
    print("CPU: this process's CPU time per request (view, template, test client; not "
          "PostgreSQL's), which other work on the machine inflates far less than the wall clock")


def _estate(tenant_count: int, sku_count: int, user_count: int) -> list:
    from django.utils import timezone

    from m365admin.choices import Collector, SyncStatus
    from m365admin.licences.names import published_names
    from m365admin.models import DirectoryUser, LicenceProduct, SubscribedSku, SyncRun
    from tests.factories import make_tenant

    rng = random.Random(15)
    now = timezone.now()
    sku_ids = sorted(published_names())[:sku_count]
    LicenceProduct.objects.bulk_create([
        LicenceProduct(sku_id=sku_id, monthly_price=rng.choice([6, 12, 23, 36]), currency="EUR")
        for sku_id in sku_ids[::2]
    ])
    tenants = [make_tenant(name=f"Tenant {n:02}") for n in range(tenant_count)]
    SyncRun.objects.create(tenant=tenants[-1], collector=Collector.SIGNIN_ACTIVITY,
                           status=SyncStatus.SKIPPED)
    for tenant in tenants:
        SubscribedSku.objects.bulk_create([
            SubscribedSku(tenant=tenant, sku_id=sku_id, sku_part_number=f"SKU_{i}",
                          prepaid_enabled=user_count // 4, consumed_units=user_count // 5)
            for i, sku_id in enumerate(sku_ids)
        ])
        DirectoryUser.objects.bulk_create([
            DirectoryUser(
                tenant=tenant, graph_id=f"u{i}", user_principal_name=f"user{i}@t{tenant.pk}.com",
                is_licensed=True, account_enabled=rng.random() > 0.1,
                created_in_graph=now - timedelta(days=400),
                last_sign_in=now - timedelta(days=rng.uniform(0, 200)),
                assigned_licenses=[{"skuId": s} for s in rng.sample(sku_ids, rng.randint(1, 3))],
            )
            for i in range(user_count)
        ], batch_size=5000)
    return tenants


def _analyze() -> None:
    """Planner statistics for the new rows, as autovacuum would gather them in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _rollup(tenants: list) -> list[object]:
    from m365admin.licences.activity import refresh_activity

    timings = []
    for tenant in tenants:
        started = time.perf_counter()
        refresh_activity(tenant)
        timings.append((time.perf_counter() - started) * 1000)
    return ["activity rollup, one tenant (after a sync)", f"{statistics.median(timings):.1f}",
            f"{common.p95(timings):.1f}", ""]


def _pages(tenant, runs: int) -> list[list[object]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from security import roles

    user = get_user_model().objects.create_user("bench-viewer", password="x" * 20)
    roles.assign(user, roles.VIEWER)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    rows = []
    for what, url in (("/licences/ (all tenants)", "/licences/"),
                      ("/licences/ (one tenant)", f"/licences/?tenant={tenant.code}"),
                      ("/api/v1/licences/", "/api/v1/licences/"),
                      ("/api/v1/licences/reclaim (first page)", "/api/v1/licences/reclaim")):
        timings, cpu = [], []
        for _ in range(runs + 2):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        timings, cpu = timings[2:], cpu[2:]
        rows.append([what, f"{statistics.median(timings):.1f}", f"{common.p95(timings):.1f}",
                     f"{statistics.median(cpu):.1f}"])
    return rows


if __name__ == "__main__":
    main()
