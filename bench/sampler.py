"""Sampler and tick overhead at the monitoring interval (30 s).

Times, in this process: `Sampler.sample()` and `sampler.store()`, and the whole
`Ticker.tick()` the scheduler runs every interval (the sample, the six health checks, request
statistics, tenant tiles, the push and the snapshot). Prints CPU time (time.process_time,
which counts every thread of this process) and wall time, as medians of many runs, and the
CPU as a share of one core at one run per MONITORING_INTERVAL.

The setting: a fresh PostgreSQL database holding an hour of history; the API check requests
a `manage.py serve --no-scheduler` started for it (so the API is up); one tenant synced from
the Graph simulator, which answers the Graph, Exchange and authentication probes from its own
process (its CPU is not counted here, as Microsoft's would not be); the Redis channel layer
and cache, as a production scheduler has them. PostgreSQL's own CPU is not counted either.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/sampler.py --runs 200 --ticks 50

DATABASE_URL names the server: each run makes a fresh database there and drops it.
A trial run: --runs 20 --ticks 5.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import TYPE_CHECKING

import common
import psutil

if TYPE_CHECKING:
    from monitoring.messages import Tick

WARM_UP = 2


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200, help="sample + store runs (200)")
    parser.add_argument("--ticks", type=int, default=50, help="tick runs (50)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15",
                        help="the channel layer and cache: a Redis database of this "
                             "benchmark's own, as the app's keys there are deleted before and "
                             "after (redis://127.0.0.1:6379/15); '' for the embedded "
                             "default's in-process ones")
    args = parser.parse_args()
    with common.live_site(REDIS_URL=args.redis_url) as site:
        from django.conf import settings

        settings.HEALTH_API_URL = site.serve("--no-scheduler") + "/healthz"
        common.seed_history()
        parts = _sample_and_store(args.runs)
        with common.simulated_tenant(str(site.var_dir / "simulator"), seed=1, users=50,
                                     signins=2000):
            parts["Ticker.tick()"], tick = asyncio.run(_ticks(args.ticks))
        _report(parts, args.runs, args.ticks, settings.MONITORING_INTERVAL, tick)


Timings = tuple[list[float], list[float]]  # CPU seconds, wall seconds


def _sample_and_store(runs: int) -> dict[str, Timings]:
    from monitoring import sampler

    sampling = sampler.Sampler()
    parts: dict[str, Timings] = {name: ([], []) for name in
                                 ("Sampler.sample()", "sampler.store()", "sample + store")}
    for run in range(WARM_UP + runs):
        cpu, wall = time.process_time(), time.perf_counter()
        sample = sampling.sample()
        cpu_sampled, wall_sampled = time.process_time(), time.perf_counter()
        sampler.store(sample)
        cpu_stored, wall_stored = time.process_time(), time.perf_counter()
        if run >= WARM_UP:
            for name, (c, w) in {
                "Sampler.sample()": (cpu_sampled - cpu, wall_sampled - wall),
                "sampler.store()": (cpu_stored - cpu_sampled, wall_stored - wall_sampled),
                "sample + store": (cpu_stored - cpu, wall_stored - wall),
            }.items():
                parts[name][0].append(c)
                parts[name][1].append(w)
    return parts


async def _ticks(count: int) -> tuple[Timings, Tick]:
    from monitoring.tick import Ticker

    ticker = Ticker()
    cpu_times: list[float] = []
    wall_times: list[float] = []
    for run in range(WARM_UP + count):
        cpu, wall = time.process_time(), time.perf_counter()
        tick = await ticker.tick()
        if run >= WARM_UP:
            cpu_times.append(time.process_time() - cpu)
            wall_times.append(time.perf_counter() - wall)
    return (cpu_times, wall_times), tick


def _report(parts: dict[str, Timings], runs: int, ticks: int, interval: float, tick: Tick) -> None:
    print(f"sampler and tick overhead: medians of {runs} sample runs and {ticks} ticks "
          f"(after {WARM_UP} warm-up), at one run per {interval:g} s")
    rows = [
        [name, f"{1000 * statistics.median(cpu):.2f}", f"{1000 * common.p95(cpu):.2f}",
         f"{1000 * statistics.median(wall):.2f}", f"{100 * statistics.median(cpu) / interval:.3f}"]
        for name, (cpu, wall) in parts.items()
    ]
    print(common.table(["part", "CPU ms", "CPU p95 ms", "wall ms", "% of one core"], rows))
    print(f"host: {len(psutil.pids())} processes (sample() reads each one's command line, "
          f"to find this app's); the last tick counted {tick.metrics.app_processes} of ours")
    print("health in the last tick: " + ", ".join(
        f"{check.component} {check.status}" for check in tick.health
    ) + " (api: a serve process; graph, exchange, auth: one tenant on the simulator)")


if __name__ == "__main__":
    main()
