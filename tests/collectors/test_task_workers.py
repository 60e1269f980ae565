"""Collector runs on real worker processes (`manage.py worker`) sharing the test database,
against the Graph simulator on loopback: a worker killed mid-sync, and a fleet of tenants.
PostgreSQL in CI (SKIP LOCKED claims); an SQLite file locally (exclusive transactions)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from itertools import pairwise

import pytest
from django_tasks_db.models import DBTaskResult

from collectors import jobs
from collectors.simulator import Fault
from collectors.sync.runner import COLLECTORS
from collectors.tasks import enqueue_run
from m365admin.choices import Collector, SyncStatus, SyncTrigger
from m365admin.models import SyncRun
from m365admin.models.tasks import TaskClaim
from tests.collectors.test_sync_signins import graph_now, stored, visible_signins  # noqa: F401
from tests.live import ROOT, child_database_url
from tests.monitoring.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def start_worker(simulator, tmp_path):
    """Starts `manage.py worker` processes on the test database; stops them after the test."""
    started: list[subprocess.Popen] = []
    env = {**os.environ, "DATABASE_URL": child_database_url(), "PYTHONUNBUFFERED": "1",
           "GRAPH_CA_BUNDLE": str(simulator.ca_bundle), "TASK_LEASE_SECONDS": "3",
           "TASK_RETRY_SECONDS": "0"}

    def start(name: str) -> subprocess.Popen:
        with open(tmp_path / f"{name}.log", "w") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--interval", "0.2",
                 "--no-startup-delay"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_worker_killed_mid_sync_leaves_its_run_to_another_with_nothing_lost_or_doubled(
        make_sim_tenant, simulator, start_worker, settings, graph_now):  # noqa: F811
    tenant, spec = make_sim_tenant(signins=2600, days=2)
    # Each sign-in request takes a while, so the kill lands between checkpoints.
    simulator.faults.add(Fault("delay", path=r"/auditLogs/signIns", tenant=spec.tenant_id,
                               seconds=0.3, times=None))
    assert enqueue_run(tenant, Collector.SIGNINS, SyncTrigger.SCHEDULED)
    first = start_worker("first")

    wait_for(lambda: stored(tenant), 120, "the first worker's run to store a page")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    task = DBTaskResult.objects.get()
    assert task.status == "RUNNING"  # as the dead worker left it
    assert 0 < len(stored(tenant)) < len(visible_signins(spec, graph_now))

    start_worker("second")
    task = wait_for(lambda: DBTaskResult.objects.filter(
        task_path="collectors.tasks.run_collector_task", status="SUCCESSFUL").first(), 120,
        "the second worker to finish the run")

    assert len(task.worker_ids) == 2 and task.worker_ids[0] != task.worker_ids[1]
    ids = stored(tenant)
    assert len(ids) == len(set(ids))
    assert set(ids) == visible_signins(spec, graph_now)
    runs = {run.status for run in SyncRun.objects.filter(tenant=tenant)}
    assert runs == {SyncStatus.ABANDONED, SyncStatus.SUCCEEDED}
    assert not TaskClaim.objects.filter(kind=Collector.SIGNINS).exists()


def test_two_workers_sync_forty_tenants_each_collector_once_and_a_tenant_one_at_a_time(
        make_sim_tenant, start_worker, settings):
    tenants = [make_sim_tenant(users=5, signins=20, days=1)[0] for _ in range(40)]
    jobs.sync_due()
    jobs.sync_due()  # queued already: nothing more
    assert DBTaskResult.objects.count() == len(tenants) * len(COLLECTORS)

    for name in ("a", "b"):
        start_worker(name)
    wait_for(lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
          and DBTaskResult.objects.count() == len(tenants) * (len(COLLECTORS) + 1), 600,
          "the workers to run every queued task")
    jobs.sync_due()  # within the interval: nothing is due again

    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    runs = defaultdict(list)
    for run in SyncRun.objects.all():
        runs[run.tenant_id].append(run)
    for tenant in tenants:
        assert sorted(run.collector for run in runs[tenant.pk]) == sorted(COLLECTORS)
        assert {run.status for run in runs[tenant.pk]} <= {SyncStatus.SUCCEEDED,
                                                           SyncStatus.SKIPPED}
        spans = sorted((run.started, run.finished) for run in runs[tenant.pk])
        assert all(end <= start for (_, end), (start, _) in pairwise(spans)), \
            "two collector runs of one tenant overlapped"
    workers = {ids[-1] for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)}
    assert len(workers) == 2
