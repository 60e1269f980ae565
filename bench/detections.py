"""Sign-in detections: a backfill over --rows sign-ins, and one incremental sync of --new.

Loads --rows sign-ins into a fresh PostgreSQL database as bench/dashboard.py does (the Graph
simulator's stream for --tenants tenants: its users, countries, client apps, failure codes,
spray, brute-force and impossible-travel episodes; the collector's COPY). Then:

- backfill: every detection over every sign-in, tenant by tenant (security/detections/runner),
  timed once, with the peak growth of this process's resident memory while it runs;
- incremental: the first tenant's cursor moved back --new sign-ins and the detections run
  over them again (with all the history before them), --runs times: the cost after a sync.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/detections.py --rows 1000000 --new 10000 --runs 5

DATABASE_URL names the server: each run makes a fresh database there and drops it.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from contextlib import contextmanager

import common
import psutil
from dashboard import load_signins


@contextmanager
def peak_rss():
    """Yields a dict whose "growth" is the peak RSS above the start, in bytes (sampled)."""
    process, result, done = psutil.Process(), {"growth": 0}, threading.Event()
    start = process.memory_info().rss

    def sample() -> None:
        while not done.wait(0.05):
            result["growth"] = max(result["growth"], process.memory_info().rss - start)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        done.set()
        sampler.join()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="sign-ins (full: 1000000)")
    parser.add_argument("--tenants", type=int, default=5)
    parser.add_argument("--users", type=int, default=2000, help="users per tenant")
    parser.add_argument("--new", type=int, default=10_000, help="sign-ins in the incremental run")
    parser.add_argument("--runs", type=int, default=5, help="incremental runs (median)")
    args = parser.parse_args()
    with common.live_site() as site:
        from django.db.models import Count
        from django.utils import timezone

        from m365admin.models import SignIn
        from security.detections import runner
        from security.models import DetectionCursor, SecurityEvent

        tenants = load_signins(str(site.var_dir / "simulator"), args.rows, args.tenants,
                               args.users, timezone.now())
        with peak_rss() as memory:
            started = time.perf_counter()
            read = sum(runner.run(tenant).read for tenant in tenants)
            backfill = time.perf_counter() - started
        events = dict(SecurityEvent.objects.values_list("kind").annotate(n=Count("id"))
                      .order_by())

        first = tenants[0]
        ids = SignIn.objects.filter(tenant=first).order_by("-id").values_list("id", flat=True)
        restart = ids[args.new - 1] - 1
        timings, growth = [], 0
        for _ in range(args.runs):
            DetectionCursor.objects.filter(name=f"signins:{first.pk}").update(last_id=restart)
            with peak_rss() as step:
                started = time.perf_counter()
                again = runner.run(first).read
                timings.append(time.perf_counter() - started)
            growth = max(growth, step["growth"])
    print(f"detections over {read:,} sign-ins ({args.tenants} tenants, {args.users} users each)")
    print(common.table(["run", "seconds", "sign-ins/s", "peak RSS growth (MB)"], [
        ["backfill", f"{backfill:.1f}", f"{read / backfill:,.0f}",
         f"{memory['growth'] / 2**20:.0f}"],
        [f"incremental {again:,} (median of {args.runs})", f"{statistics.median(timings):.2f}",
         f"{again / statistics.median(timings):,.0f}", f"{growth / 2**20:.0f}"],
    ]))
    print("events by kind:", ", ".join(f"{k} {n}" for k, n in sorted(events.items())))


if __name__ == "__main__":
    main()
