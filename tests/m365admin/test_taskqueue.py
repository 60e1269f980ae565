"""The task queue's additions to django-tasks-db: enqueue-once claims, priorities, retries,
leases and tenant slots, with the collector task against the Graph simulator."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from collectors.simulator import Fault
from collectors.tasks import MANUAL_PRIORITY, SCHEDULED_PRIORITY, enqueue_run
from m365admin.choices import AlertSource, Collector, SyncStatus, SyncTrigger
from m365admin.models import SyncRun
from m365admin.models.tasks import TaskClaim, TaskLease
from m365admin.taskqueue import leases
from m365admin.taskqueue.claims import enqueue_once
from m365admin.taskqueue.worker import LeasedWorker
from m365admin.tasks import maintain_partitions
from monitoring.alerts import alerting
from monitoring.messages import Tick
from monitoring.models import Alert
from monitoring.tasks import snapshot_database
from tests.factories import make_tenant
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db


def _claimed(worker: LeasedWorker) -> DBTaskResult:
    """The next ready task, claimed by `worker` as its polling loop would."""
    db_result = DBTaskResult.objects.ready().first()
    db_result.claim(worker.worker_id)
    leases.hold(db_result.pk, worker.worker_id)
    return db_result


def _four_at_once(enqueue: Callable[[], bool]) -> list[bool]:
    """Four threads, each with its own connection, call `enqueue` together."""
    start = threading.Barrier(4)
    queued: list[bool] = []

    def run() -> None:
        try:
            start.wait()
            queued.append(enqueue())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return queued


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_enqueuers_at_once_queue_one_run():
    tenant = make_tenant()
    queued = _four_at_once(lambda: enqueue_run(tenant, Collector.USERS, SyncTrigger.SCHEDULED))
    assert sorted(queued) == [False, False, False, True]
    assert DBTaskResult.objects.count() == 1
    assert TaskClaim.objects.get().task == DBTaskResult.objects.get()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_enqueuers_of_an_upkeep_task_at_once_queue_one_run():
    """The tenantless claims have their own unique index (NULL tenants would not collide)."""
    queued = _four_at_once(lambda: enqueue_once(maintain_partitions))
    assert sorted(queued) == [False, False, False, True]
    claim = TaskClaim.objects.get()
    assert claim.tenant is None and claim.kind == "m365admin.tasks.maintain_partitions"
    assert claim.task == DBTaskResult.objects.get()
    # Another upkeep task, or a tenant's work, is other work.
    assert enqueue_once(snapshot_database)
    assert enqueue_run(make_tenant(), Collector.USERS, SyncTrigger.SCHEDULED)


def test_sync_now_overtakes_the_scheduled_run_it_finds_queued():
    tenant = make_tenant()
    assert enqueue_run(tenant, Collector.USERS, SyncTrigger.SCHEDULED)
    assert DBTaskResult.objects.get().priority == SCHEDULED_PRIORITY
    assert not enqueue_run(tenant, Collector.USERS, SyncTrigger.MANUAL)
    assert DBTaskResult.objects.get().priority == MANUAL_PRIORITY
    assert not enqueue_run(tenant, Collector.USERS, SyncTrigger.SCHEDULED)  # never lowered
    assert DBTaskResult.objects.get().priority == MANUAL_PRIORITY
    # Another collector or tenant is other work.
    assert enqueue_run(tenant, Collector.SKUS, SyncTrigger.SCHEDULED)
    assert enqueue_run(make_tenant(), Collector.USERS, SyncTrigger.SCHEDULED)


def test_sync_now_during_a_scheduled_run_runs_once_more_after_it(sim_tenant):
    tenant, _spec = sim_tenant
    worker = LeasedWorker(worker_id="w1")
    enqueue_run(tenant, Collector.SKUS, SyncTrigger.SCHEDULED)
    running = _claimed(worker)
    assert not enqueue_run(tenant, Collector.SKUS, SyncTrigger.MANUAL)
    assert not enqueue_run(tenant, Collector.SKUS, SyncTrigger.MANUAL)  # asked twice: once

    worker.run_task(running)
    again = DBTaskResult.objects.get(status="READY")
    assert again.priority == MANUAL_PRIORITY
    assert TaskClaim.objects.get().task == again
    assert run_queued_tasks() == 1
    assert list(SyncRun.objects.order_by("started").values_list("trigger", flat=True)) == [
        SyncTrigger.SCHEDULED, SyncTrigger.MANUAL]
    assert not TaskClaim.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_run_is_retried_then_failed_with_its_error_and_alerts(
        make_sim_tenant, simulator, settings, default_rules, administrator, client, viewer):
    settings.TASK_RETRY_SECONDS = 0
    tenant, spec = make_sim_tenant()
    simulator.faults.add(Fault("status", path=r"/subscribedSkus", tenant=spec.tenant_id,
                               status=403, code="Authorization_RequestDenied", times=None))
    enqueue_run(tenant, Collector.SKUS, SyncTrigger.SCHEDULED)

    assert run_queued_tasks() == settings.TASK_MAX_ATTEMPTS == 3
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED" and len(task.worker_ids) == 3
    assert task.exception_class_path == "collectors.tasks.CollectorFailed"
    assert "Authorization_RequestDenied" in task.traceback
    assert not TaskClaim.objects.exists()  # the next interval queues it again
    runs = SyncRun.objects.filter(tenant=tenant, collector=Collector.SKUS)
    assert [run.status for run in runs] == [SyncStatus.FAILED] * 3

    # The collector-failure condition (three failed runs in a row) fires for it.
    now = timezone.now()
    for i in range(3):
        alerting.evaluate(alerting.observe(Tick()), now=now + timedelta(seconds=30 * i))
    alert = Alert.objects.get(rule__source=AlertSource.SYNC)
    assert alert.tenant_id == tenant.pk and alert.labels["collector"] == Collector.SKUS

    # Administrators read the failure in the admin; Viewers may not.
    page = f"/admin/django_tasks_database/dbtaskresult/{task.pk}/change/"
    client.force_login(administrator)
    answer = client.get(page)
    assert answer.status_code == 200 and "Authorization_RequestDenied" in answer.content.decode()
    # And on the tenants page, with the collector's last run.
    tenants = client.get(reverse("m365admin:tenant-list")).content.decode()
    assert "Authorization_RequestDenied" in tenants
    client.force_login(viewer)
    assert client.get(page).status_code in (302, 403)


def test_a_task_whose_worker_stopped_renewing_its_lease_is_queued_again_then_failed():
    tenant = make_tenant()
    enqueue_run(tenant, Collector.USERS, SyncTrigger.SCHEDULED)
    dead = _claimed(LeasedWorker(worker_id="dead"))
    assert leases.requeue_expired() == 0  # its lease runs
    TaskLease.objects.update(expires=timezone.now() - timedelta(seconds=1))

    assert leases.requeue_expired() == 1
    dead.refresh_from_db()
    assert dead.status == "READY" and not TaskLease.objects.exists()
    assert TaskClaim.objects.get().task == dead  # still queued: no second run can be queued

    # Out of attempts: the third worker to die with it fails it.
    DBTaskResult.objects.filter(pk=dead.pk).update(
        status="RUNNING", worker_ids=["a", "b", "c"],
        started_at=timezone.now() - timedelta(hours=1))
    assert leases.requeue_expired() == 1  # no lease at all: claimed, then died at once
    dead.refresh_from_db()
    assert dead.status == "FAILED"
    assert dead.exception_class_path == "m365admin.taskqueue.leases.LeaseExpired"
    assert not TaskClaim.objects.exists()


def test_the_collector_run_of_a_worker_lost_on_another_host_is_abandoned_with_its_lease():
    """Not SYNC_RUN_LEASE_MINUTES later: the expired task lease already says the worker is gone."""
    tenant = make_tenant()
    enqueue_run(tenant, Collector.USERS, SyncTrigger.SCHEDULED)
    _claimed(LeasedWorker(worker_id="elsewhere:42"))
    now = timezone.now()
    theirs = SyncRun.objects.create(tenant=tenant, collector=Collector.USERS, owner="elsewhere:42",
                                    heartbeat=now)
    alive = SyncRun.objects.create(tenant=tenant, collector=Collector.SKUS, owner="elsewhere:43",
                                   heartbeat=now)
    assert SyncRun.objects.abandon_orphans() == 0  # both showed life a moment ago
    TaskLease.objects.update(expires=now - timedelta(seconds=1))

    assert leases.requeue_expired() == 1
    theirs.refresh_from_db()
    alive.refresh_from_db()
    assert theirs.status == SyncStatus.ABANDONED and "elsewhere:42" in theirs.error
    assert alive.status == SyncStatus.RUNNING


def test_a_tenant_at_its_limit_waits_without_losing_an_attempt(sim_tenant, settings):
    tenant, _spec = sim_tenant
    first, second = LeasedWorker(worker_id="w1"), LeasedWorker(worker_id="w2")
    enqueue_run(tenant, Collector.USERS, SyncTrigger.SCHEDULED)
    enqueue_run(tenant, Collector.SKUS, SyncTrigger.SCHEDULED)
    busy = _claimed(first)
    TaskLease.objects.filter(task=busy).update(tenant=tenant)  # running, holding the slot

    waiting = _claimed(second)
    second.run_task(waiting)
    waiting.refresh_from_db()
    assert waiting.status == "READY" and waiting.worker_ids == []
    assert waiting.run_after > timezone.now()
    assert not SyncRun.objects.exists()

    settings.TASK_TENANT_CONCURRENCY = 2
    DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    second.run_task(_claimed(second))
    assert SyncRun.objects.get().collector == Collector.SKUS
