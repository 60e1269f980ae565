"""Sign-in ingest benchmark: simulated Graph over loopback HTTPS -> collector -> PostgreSQL.

Prints, as medians of several runs: end-to-end sign-ins per second through the real collector
(msal token, paging, JSON parsing, COPY + upsert per page, checkpoint per page), the peak RSS
of the collector's process, and the ceiling: a raw psycopg COPY of the same rows into the same
partitioned table, with the ratio of the two. The detections that follow a sign-in sync run
as a task of their own on a worker, not inside the sync; they are measured separately, once,
after the first full-size sync (the tenant's initial backfill over the same rows, the task the
sync queued; bench/detections.py has more). A smaller
run is measured too, so that memory growing with volume would show.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/ingest.py --signins 1000000 --runs 3

With `--streams 2`, two tenants (each its own simulator process) are ingested side by side
by two collector processes, as two task workers would, against two COPY streams side by side
into the same table; `--signins` is then per tenant.

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signins", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--worker", choices=["ingest", "ceiling", "reset"], help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--detect", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        common.setup_django()
        if args.worker == "reset":
            _reset_signins()
            return
        spec = common.tenant_spec(args.seed)
        result = (_ingest(args.base_url, spec, args.detect) if args.worker == "ingest"
                  else _ceiling(spec))
        print(json.dumps(result))
        return
    if args.streams > 1:
        _orchestrate_streams(args.signins, args.streams)
    else:
        _orchestrate(args.signins, args.runs)


def _orchestrate(signins: int, runs: int) -> None:
    common.create_database(common.postgres_url())
    _manage("migrate", "--no-input", "-v0")
    with tempfile.TemporaryDirectory() as state_dir:
        env = {**os.environ}
        sizes = [(max(signins // 4, 1000), 1), (signins, runs)]
        results: dict[int, list[dict]] = {}
        for size, count in sizes:
            simulator, base_url = common.start_simulator(
                state_dir, common.tenant_spec(0), users=2000, signins=size)
            env["GRAPH_CA_BUNDLE"] = str(Path(state_dir) / "cert.pem")
            try:
                # The detections are timed once, after the first full-size sync (minutes each).
                results[size] = [
                    _side_by_side([["--worker", "ingest", "--base-url", base_url]
                                   + (["--detect"] if size == signins and n == 0 else [])],
                                  env)[0] for n in range(count)]
            finally:
                simulator.terminate()
                simulator.wait()
        ceilings = [_side_by_side([["--worker", "ceiling"]], env)[0] for _ in range(runs)]
    _report(signins, results, ceilings)


def _orchestrate_streams(signins: int, streams: int) -> None:
    common.create_database(common.postgres_url())
    _manage("migrate", "--no-input", "-v0")
    seeds = range(streams)
    with tempfile.TemporaryDirectory() as state_dir:
        env = {**os.environ, "GRAPH_CA_BUNDLE": str(Path(state_dir) / "cert.pem")}
        simulators = [common.start_simulator(state_dir, common.tenant_spec(seed), users=2000,
                                             signins=signins, seed=seed + 1) for seed in seeds]
        try:
            ingests = _side_by_side([["--worker", "ingest", "--base-url", url, "--seed", str(s)]
                                     for s, (_, url) in zip(seeds, simulators)], env)
        finally:
            for simulator, _ in simulators:
                simulator.terminate()
                simulator.wait()
        ceilings = _side_by_side([["--worker", "ceiling", "--seed", str(s)] for s in seeds], env)
    rows = sum(r["rows"] for r in ingests)
    for n, r in enumerate(ingests):
        print(f"stream {n + 1}: {r['rows']:,} sign-ins in {r['seconds']:.1f} s, "
              f"{r['rows'] / r['seconds']:,.0f}/s")
    # Side by side from one start: the pair's rate is all rows over the slower stream's time.
    rate = rows / max(r["seconds"] for r in ingests)
    ceiling = sum(c["rows"] for c in ceilings) / max(c["seconds"] for c in ceilings)
    print(f"{streams} streams end to end       {rate:,.0f} sign-ins/s ({rows:,} sign-ins)")
    print(f"{streams}-stream COPY ceiling    {ceiling:,.0f} rows/s")
    print(f"ratio end to end / ceiling  {rate / ceiling:.2f}")


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
    detect = full[0]["detect_seconds"]
    print(f"detections after the sync   {detect:.1f} s ({full[0]['rows'] / detect:,.0f} "
          f"sign-ins/s, separate task)")
    print(f"raw COPY ceiling (median of {len(ceilings)})  {ceiling:,.0f} rows/s")
    print(f"ratio end to end / ceiling  {rate / ceiling:.2f}")


def _side_by_side(argument_lists: list[list[str]], env: dict[str, str]) -> list[dict]:
    """Run workers of this script, their timed parts started together: each prints "ready"
    when prepared and waits for a line, then every one is told to go. The sign-ins are
    emptied first: before an ingest, and for a ceiling once every stream has read its rows.
    Returns their results in order."""
    ceiling = "ceiling" in argument_lists[0]
    if not ceiling:
        _manage_script("--worker", "reset", env=env)
    processes = [subprocess.Popen([sys.executable, __file__, *arguments], env=env, cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for arguments in argument_lists]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            sys.exit("a worker failed before it was ready")
    if ceiling:
        _manage_script("--worker", "reset", env=env)
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in processes:
        output, _ = process.communicate()
        if process.returncode:
            sys.exit(f"a worker failed: {output[-2000:]}")
        results.append(json.loads(output.strip().splitlines()[-1]))
    return results


def _manage_script(*arguments: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, __file__, *arguments], env=env, cwd=ROOT, check=True)


def _ready() -> None:
    """Prepared: wait for the orchestrator's go (every worker starts its timed part at once)."""
    print("ready", flush=True)
    sys.stdin.readline()


def _manage(*arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, check=True)


def _reset_signins() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE m365admin_signin")


def _ingest(base_url: str, spec: dict[str, str], detect: bool) -> dict:
    import logging

    from django_tasks_db.models import DBTaskResult

    from collectors.sync.runner import run_collector
    from m365admin.choices import Collector, SyncStatus
    from m365admin.models import SignIn, SyncCheckpoint, Tenant
    from security.detections.trigger import detect_task

    logging.disable(logging.INFO)  # one log line per page would be measured too
    Tenant.objects.filter(tenant_id=spec["tenant_id"]).delete()
    tenant = Tenant(name=f"bench {spec['tenant_id'][-4:]}", tenant_id=spec["tenant_id"],
                    client_id=spec["client_id"], authority_url=base_url, graph_url=base_url)
    tenant.set_client_secret(spec["client_secret"])
    tenant.save()
    SyncCheckpoint.objects.filter(tenant=tenant).delete()
    _ready()
    started = time.perf_counter()
    run = run_collector(tenant, Collector.SIGNINS)
    seconds = time.perf_counter() - started
    if run.status != SyncStatus.SUCCEEDED:
        sys.exit(f"the sync failed: {run.error}")
    rows = SignIn.objects.filter(tenant=tenant).count()
    result = {"rows": rows, "seconds": seconds, "max_rss_mb": _max_rss_mb()}
    # The sync only queued the tenant's detections (a task for the workers); run that task
    # here, with the arguments it was queued with, timed on its own.
    queued = DBTaskResult.objects.get(task_path=detect_task.module_path,
                                      args_kwargs__kwargs__tenant_pk=tenant.pk)
    if detect:
        started = time.perf_counter()
        detect_task.call(**queued.args_kwargs["kwargs"])
        result["detect_seconds"] = time.perf_counter() - started
    queued.delete()  # its claim goes with it
    return result


def _ceiling(spec: dict[str, str]) -> dict:
    """COPY the rows the last run stored for the tenant, as Python rows, back into the same
    table (emptied by the orchestrator once every stream has read its rows).

    The ceiling for a Python collector: the collector's own binary COPY of ready rows into
    the same partitioned, indexed table, with nothing else to do (no HTTP, JSON, mapping,
    checkpoint or upsert).
    """
    from django.db import connection, transaction

    from collectors.sync.signin_rows import COLUMNS
    from collectors.sync.signins import _binary_copy

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(f's.{c}' for c in COLUMNS)} FROM m365admin_signin s "
                       "JOIN m365admin_tenant t ON t.id = s.tenant_id WHERE t.tenant_id = %s",
                       [spec["tenant_id"]])
        rows = [[str(v) if c == "ip_address" and v is not None else v for c, v in zip(COLUMNS, row)]
                for row in cursor.fetchall()]
        _ready()
        started = time.perf_counter()
        with transaction.atomic():
            _binary_copy(cursor, "m365admin_signin", rows)
        seconds = time.perf_counter() - started
    return {"rows": len(rows), "seconds": seconds}


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
