"""Sign-in ingest benchmark: simulated Graph over loopback HTTPS -> collector -> PostgreSQL.

Prints, as medians of several runs: end-to-end sign-ins per second through the real collector
(msal token, paging, JSON parsing, COPY + upsert per page, checkpoint per page; not the
detections that follow a sign-in sync, which bench/detections.py measures), the peak RSS
of the collector's process, and the ceiling: a raw psycopg COPY of the same rows into the same
partitioned table, with the ratio of the two. A smaller run is measured too, so that memory
growing with volume would show.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/ingest.py --signins 1000000 --runs 3

The database named in DATABASE_URL is created if missing and its sign-ins are truncated.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import ROOT

TENANT = common.tenant_spec(0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signins", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", choices=["ingest", "ceiling"], help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        common.setup_django()
        result = _ingest(args.base_url) if args.worker == "ingest" else _ceiling()
        print(json.dumps(result))
        return
    _orchestrate(args.signins, args.runs)


def _orchestrate(signins: int, runs: int) -> None:
    common.create_database(common.postgres_url())
    _manage("migrate", "--no-input", "-v0")
    with tempfile.TemporaryDirectory() as state_dir:
        env = {**os.environ}
        sizes = [(max(signins // 4, 1000), 1), (signins, runs)]
        results: dict[int, list[dict]] = {}
        for size, count in sizes:
            simulator, base_url = common.start_simulator(state_dir, TENANT, users=2000,
                                                         signins=size)
            env["GRAPH_CA_BUNDLE"] = str(Path(state_dir) / "cert.pem")
            try:
                results[size] = [_worker(["--worker", "ingest", "--base-url", base_url], env)
                                 for _ in range(count)]
            finally:
                simulator.terminate()
                simulator.wait()
        ceilings = [_worker(["--worker", "ceiling"], env) for _ in range(runs)]
    _report(signins, results, ceilings)


def _report(signins: int, results: dict[int, list[dict]], ceilings: list[dict]) -> None:
    full = results[signins]
    rate = statistics.median(r["rows"] / r["seconds"] for r in full)
    ceiling = statistics.median(c["rows"] / c["seconds"] for c in ceilings)
    print(f"sign-ins per run            {full[0]['rows']:,}")
    for r in full:
        print(f"  run: {r['seconds']:.1f} s, {r['rows'] / r['seconds']:,.0f} sign-ins/s, "
              f"peak RSS {r['max_rss_mb']:.0f} MB")
    print(f"end to end (median of {len(full)})   {rate:,.0f} sign-ins/s")
    print(f"peak RSS (median)           {statistics.median(r['max_rss_mb'] for r in full):.0f} MB")
    for size, runs in results.items():
        if size != signins:
            print(f"peak RSS at {size:,} sign-ins  {runs[0]['max_rss_mb']:.0f} MB (memory flat if close)")
    print(f"raw COPY ceiling (median of {len(ceilings)})  {ceiling:,.0f} rows/s")
    print(f"ratio end to end / ceiling  {rate / ceiling:.2f}")


def _worker(arguments: list[str], env: dict[str, str]) -> dict:
    output = subprocess.run([sys.executable, __file__, *arguments], env=env, check=True,
                            capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout.strip().splitlines()[-1])


def _manage(*arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, check=True)


def _reset_signins() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE m365admin_signin")


def _ingest(base_url: str) -> dict:
    import logging

    from django.db.models.signals import post_save

    from collectors.sync.runner import run_collector
    from m365admin.choices import Collector, SyncStatus
    from m365admin.models import SignIn, SyncCheckpoint, SyncRun, Tenant

    logging.disable(logging.INFO)  # one log line per page would be measured too
    # The ingest alone: detections follow a sign-in sync and have bench/detections.py.
    post_save.disconnect(sender=SyncRun, dispatch_uid="detections_after_signin_sync")
    _reset_signins()
    Tenant.objects.filter(tenant_id=TENANT["tenant_id"]).delete()
    tenant = Tenant(name="bench", tenant_id=TENANT["tenant_id"], client_id=TENANT["client_id"],
                    authority_url=base_url, graph_url=base_url)
    tenant.set_client_secret(TENANT["client_secret"])
    tenant.save()
    SyncCheckpoint.objects.filter(tenant=tenant).delete()
    started = time.perf_counter()
    run = run_collector(tenant, Collector.SIGNINS)
    seconds = time.perf_counter() - started
    if run.status != SyncStatus.SUCCEEDED:
        sys.exit(f"the sync failed: {run.error}")
    rows = SignIn.objects.filter(tenant=tenant).count()
    return {"rows": rows, "seconds": seconds, "max_rss_mb": _max_rss_mb()}


def _ceiling() -> dict:
    """COPY the rows the last run stored, as Python rows, back into the same table.

    The ceiling for a Python collector: the collector's own binary COPY of ready rows into
    the same partitioned, indexed table, with nothing else to do (no HTTP, JSON, mapping,
    checkpoint or upsert).
    """
    from django.db import connection, transaction

    from collectors.sync.signin_rows import COLUMNS
    from collectors.sync.signins import _binary_copy

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM m365admin_signin")
        rows = [[str(v) if c == "ip_address" and v is not None else v for c, v in zip(COLUMNS, row)]
                for row in cursor.fetchall()]
        cursor.execute("TRUNCATE m365admin_signin")
        started = time.perf_counter()
        with transaction.atomic():
            _binary_copy(cursor, "m365admin_signin", rows)
        seconds = time.perf_counter() - started
    return {"rows": len(rows), "seconds": seconds}


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
