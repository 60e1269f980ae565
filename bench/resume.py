"""Kill-and-resume benchmark: a sign-in backfill killed with SIGKILL at three points loses nothing.

A 30-day backfill of the simulator's sign-ins (a separate process serving them newest first,
each next page repeating one) runs as `manage.py sync` processes: the first three are killed
with SIGKILL once the runs so far have committed the given numbers of pages, the fourth runs
to the end.
Then every sign-in Graph lists up to the final watermark is read back over the wire and
compared with what is stored: the figures are what was lost, what was stored twice, and what
each resumed run read again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/resume.py --signins 200000 --kill-at 15,100,190

The database named in DATABASE_URL is created if missing and its sign-ins are truncated.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import ROOT

TENANT = common.tenant_spec(7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signins", type=int, default=200_000)
    parser.add_argument("--kill-at", default="15,100,190",
                        help="SIGKILL a run once this many pages are committed, counting all runs")
    args = parser.parse_args()
    kills = [int(page) for page in args.kill_at.split(",")]
    url = common.postgres_url()
    common.create_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT,
                   check=True)
    common.setup_django()
    with tempfile.TemporaryDirectory() as state_dir:
        simulator, base_url = common.start_simulator(state_dir, TENANT, users=2000,
                                                     signins=args.signins)
        env = {**os.environ, "GRAPH_CA_BUNDLE": str(Path(state_dir) / "cert.pem")}
        try:
            tenant = _fresh_tenant(base_url)
            runs = [_run(env, tenant, kill_after=pages) for pages in kills]
            runs.append(_run(env, tenant, kill_after=None))
            served = _served_ids(tenant, env["GRAPH_CA_BUNDLE"])
        finally:
            simulator.terminate()
            simulator.wait()
    _report(tenant, runs, served)


def _fresh_tenant(base_url: str):
    from django.db import connection

    from m365admin.models import Tenant

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE m365admin_signin")
    Tenant.objects.filter(tenant_id=TENANT["tenant_id"]).delete()
    tenant = Tenant(name="resume", tenant_id=TENANT["tenant_id"], client_id=TENANT["client_id"],
                    authority_url=base_url, graph_url=base_url)
    tenant.set_client_secret(TENANT["client_secret"])
    tenant.save()
    return tenant


def _run(env: dict[str, str], tenant, kill_after: int | None) -> dict:
    """One `manage.py sync` of the sign-ins; SIGKILL once `kill_after` pages are committed
    (this run's and the earlier runs')."""
    from django.db.models import Sum

    from m365admin.models import SyncRun

    runs = SyncRun.objects.filter(tenant=tenant)
    before = runs.count()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sync", "--tenant", tenant.tenant_id, "--collector",
         "signins", "--no-progress"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    while kill_after is not None and process.poll() is None:
        if runs.count() > before and runs.aggregate(pages=Sum("pages"))["pages"] >= kill_after:
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    code = process.wait()
    seconds = time.perf_counter() - started
    if kill_after is None and code != 0:
        sys.exit(f"the final run failed with exit code {code}")
    if kill_after is not None and code != -signal.SIGKILL:
        sys.exit(f"the run to kill after {kill_after} pages ended by itself first ({code})")
    return {"kill_after": kill_after, "seconds": seconds}


def _served_ids(tenant, ca_bundle: str) -> set[str]:
    """Every sign-in Graph lists up to the final watermark, read over the wire."""
    from django.conf import settings

    from collectors.clients import client_for
    from collectors.sync.signins import _iso
    from m365admin.models import SyncCheckpoint

    watermark = SyncCheckpoint.objects.get(tenant=tenant, collector="signins").watermark
    settings.GRAPH_CA_BUNDLE = ca_bundle
    pages = client_for(tenant).iter_pages("/v1.0/auditLogs/signIns", params={
        "$filter": f"createdDateTime le {_iso(watermark)}", "$top": "1000"})
    return {item["id"] for page in pages for item in page.items}


def _report(tenant, runs: list[dict], served: set[str]) -> None:
    from m365admin.models import SignIn, SyncRun

    stored = list(SignIn.objects.filter(tenant=tenant).values_list("graph_id", flat=True))
    rows = list(SyncRun.objects.filter(tenant=tenant).order_by("id"))
    print(f"sign-ins served by Graph up to the final watermark  {len(served):,}")
    print(f"sign-ins stored                                     {len(stored):,}")
    print(f"lost (served, not stored)                           {len(served - set(stored)):,}")
    print(f"stored twice                                        {len(stored) - len(set(stored)):,}")
    print(f"stored but not served                               {len(set(stored) - served):,}")
    header = ("run", "killed after", "status", "pages", "new rows", "seconds")
    table = [(n + 1, f"{run['kill_after']} pages in all" if run["kill_after"] else "—", row.status,
              row.pages, f"{row.written:,}", f"{run['seconds']:.1f}")
             for n, (run, row) in enumerate(zip(runs, rows))]
    print(common.table(header, table))
    read = sum(row.pages for row in rows)
    print(f"pages read in all {read} for {len(served):,} sign-ins "
          f"(a resume reads its unfinished window's pages from the saved nextLink)")


if __name__ == "__main__":
    main()
