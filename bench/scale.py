"""Scale-out benchmark: N simulated tenants' sign-in syncs through the task queue, run by 1, 2
and 4 `manage.py worker` processes.

Every tenant has 500 users; the Graph simulator (in this process, many threads) adds 150 ms to
every Graph request with its `delay` fault, since real Graph is not on loopback. The initial
sync of every tenant is done first (4 workers, reported, not the figure); then, for each
worker count, one incremental sign-in sync per tenant is enqueued at once, as the scheduler
does (collectors.tasks.enqueue_run), and the wall time is measured from the enqueue until the
last run finished. The workers are already running and polling, as in production. Each sync
queues its tenant's detections (a task of their own, run by the same workers); the time until
the queue is empty, detections included, is reported beside it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/scale.py --tenants 200

The database named in DATABASE_URL is created if missing; its tenants and task results are
deleted first. The goal (issue 18): the whole fleet inside a 5-minute interval with 4 workers.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import common
from common import ROOT

LATENCY_SECONDS = 0.150
USERS = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--signins", type=int, default=1000,
                        help="sign-ins per tenant in the simulator's 30 days (default 1000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    args = parser.parse_args()
    common.create_database(common.postgres_url())
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT,
                   check=True)
    common.setup_django()
    with tempfile.TemporaryDirectory() as state_dir:
        simulator = _simulator(state_dir, args.tenants, args.signins)
        env = {**os.environ, "GRAPH_CA_BUNDLE": simulator.ca_bundle}
        tenants = _tenants(simulator)
        print(f"{len(tenants)} tenants of {USERS} users, {args.signins} sign-ins each, "
              f"{LATENCY_SECONDS * 1000:.0f} ms per Graph request")
        seconds, drained = _round(tenants, 4, env)
        print(f"initial sync, 4 workers        {seconds:7.1f} s (queue empty after "
              f"{drained:.1f} s)")
        rows = []
        for count in (int(n) for n in args.workers.split(",")):
            seconds, drained = _round(tenants, count, env)
            rows.append((count, f"{seconds:.1f} s", f"{len(tenants) / seconds:.2f}",
                         f"{drained:.1f} s"))
            print(f"incremental sync, {count} worker(s)  {seconds:7.1f} s")
        simulator.stop()
    print(common.table(["workers", "wall time (all tenants' syncs)", "tenants/s",
                        "queue empty (with detections)"], rows))


def _simulator(state_dir: str, tenants: int, signins: int):
    from collectors.simulator.faults import Fault
    from collectors.simulator.server import GraphSimulator
    from collectors.simulator.tenant import SimTenant

    simulator = GraphSimulator(state_dir=state_dir)
    for seed in range(tenants):
        spec = common.tenant_spec(seed)
        simulator.add_tenant(SimTenant(spec["tenant_id"], spec["client_id"],
                                       spec["client_secret"], users=USERS, signins=signins,
                                       seed=seed))
    # Graph's round trip, on every Graph request (not the token requests, once an hour).
    simulator.faults.add(Fault("delay", path=r"^/(v1\.0|beta)/", times=None,
                               seconds=LATENCY_SECONDS))
    return simulator.start()


def _tenants(simulator) -> list[int]:
    from django_tasks_db.models import DBTaskResult

    from m365admin.models import Tenant

    Tenant.objects.all().delete()
    DBTaskResult.objects.all().delete()
    made = []
    for seed, sim in enumerate(simulator._tenants.values()):
        spec = common.tenant_spec(seed)
        tenant = Tenant(name=f"Scale {seed}", tenant_id=sim.tenant_id,
                        client_id=spec["client_id"], authority_url=simulator.base_url,
                        graph_url=simulator.base_url)
        tenant.set_client_secret(spec["client_secret"])
        tenant.save()
        made.append(tenant.pk)
    return made


def _round(tenants: list[int], workers: int, env: dict[str, str]) -> tuple[float, float]:
    """Start `workers` worker processes, enqueue one sign-in sync per tenant, and return the
    seconds from the enqueue until the last sync finished, and until the queue was empty."""
    from django.db.models import Max
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from collectors.tasks import enqueue_run, run_collector_task
    from m365admin.choices import Collector, SyncTrigger
    from m365admin.models import Tenant

    DBTaskResult.objects.all().delete()  # the claims go with them
    processes = [subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.1", "--no-startup-delay",
         "--worker-id", f"scale-{workers}-{n}", "-v0"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL) for n in range(workers)]
    pending = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    try:
        time.sleep(5)  # the workers start (Django setup) and are polling
        started = time.time()
        for tenant in Tenant.objects.filter(pk__in=tenants):
            if not enqueue_run(tenant, Collector.SIGNINS, SyncTrigger.SCHEDULED):
                sys.exit(f"tenant {tenant.pk}: a sign-in sync was already queued")
        syncs = DBTaskResult.objects.filter(task_path=run_collector_task.module_path)
        while DBTaskResult.objects.filter(status__in=pending).exists():
            if any(p.poll() is not None for p in processes):
                sys.exit("a worker exited")
            time.sleep(0.2)
        drained = time.time() - started
        failed = DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).count()
        if failed or syncs.count() != len(tenants):
            sys.exit(f"{failed} task(s) failed; {syncs.count()} syncs for {len(tenants)} tenants")
        finished = syncs.aggregate(last=Max("finished_at"))["last"].timestamp()
        return finished - started, drained
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
