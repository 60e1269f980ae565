"""Background work as tasks: the scheduler's jobs enqueue notification deliveries, database
maintenance actions, partition maintenance and snapshots when there is work, at most one
pending run of each; a real `manage.py worker` process runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from m365admin import jobs as m365admin_jobs
from m365admin.choices import AlertSource
from m365admin.models.tasks import TaskClaim, TaskLease
from m365admin.models.workers import WorkerHeartbeat
from m365admin.taskqueue.leases import requeue_expired
from monitoring import jobs, notify
from monitoring.models import Alert, AlertRule, DatabaseAction, Delivery, NotificationChannel
from tests.live import ROOT, child_database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _queued() -> list[str]:
    return sorted(DBTaskResult.objects.filter(status=TaskResultStatus.READY)
                  .values_list("task_path", flat=True))


def _due_delivery(url: str) -> Delivery:
    channel = NotificationChannel(name="hook", kind="webhook", config={"url": url, "timeout": 2.0})
    channel.set_secret("s3cret")
    channel.save()
    rule = AlertRule.objects.create(name="CPU high", source=AlertSource.METRIC, metric="cpu",
                                    comparison="gt", threshold=80, for_seconds=1, hysteresis=5,
                                    severity="error")
    alert = Alert.objects.create(rule=rule, fingerprint="0" * 64, status="firing",
                                 severity="error", summary="cpu", value=90.0,
                                 first_seen=timezone.now())
    notify.enqueue("firing", [alert], now=timezone.now() - timedelta(minutes=1))
    return Delivery.objects.get()


def test_nothing_due_enqueues_nothing():
    jobs.send_notifications()
    jobs.run_database_actions()
    assert _queued() == []


def test_a_due_delivery_is_enqueued_once_however_often_the_job_runs(receiver):
    _due_delivery(receiver.url)
    for _ in range(3):
        jobs.send_notifications()
    assert _queued() == ["monitoring.tasks.deliver_notifications"]


def test_a_run_left_running_by_a_dead_worker_is_queued_again_not_doubled(receiver):
    """A running run blocks a second; when its worker dies, its lease expires and that same
    run is queued again (m365admin/taskqueue/leases.py): still one pending run."""
    _due_delivery(receiver.url)
    jobs.send_notifications()
    run = DBTaskResult.objects.get()
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, worker_ids=["dead"])
    TaskLease.objects.create(task=run, worker="dead",
                             expires=timezone.now() - timedelta(seconds=1))
    jobs.send_notifications()
    assert _queued() == []
    assert requeue_expired() == 1
    jobs.send_notifications()
    assert _queued() == ["monitoring.tasks.deliver_notifications"]
    assert DBTaskResult.objects.count() == 1


def test_a_queued_database_action_is_enqueued_for_the_maintenance_lane(operator):
    DatabaseAction.objects.create(kind="analyze", target="public.m365admin_tenant",
                                  statements=["ANALYZE public.m365admin_tenant"],
                                  requested_by=operator)
    jobs.run_database_actions()
    jobs.run_database_actions()
    assert _queued() == ["monitoring.tasks.run_database_actions"]


def test_a_worker_process_runs_what_the_scheduler_enqueued(receiver):
    _due_delivery(receiver.url)
    jobs.send_notifications()
    jobs.snapshot_database()
    m365admin_jobs.enqueue_partition_maintenance()
    assert len(_queued()) == 3
    env = {**os.environ, "DATABASE_URL": child_database_url(), "WEBHOOK_ALLOW_PRIVATE": "True"}
    done = subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch", "--no-startup-delay",
         "--no-reload", "--worker-id", "worker-process"],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    results = {row.task_path: row for row in DBTaskResult.objects.all()}
    assert {path: row.status for path, row in results.items()} == dict.fromkeys(
        ["monitoring.tasks.deliver_notifications", "monitoring.tasks.snapshot_database",
         "m365admin.tasks.maintain_partitions"], TaskResultStatus.SUCCESSFUL)
    # Notifications first (the highest priority), each run by the worker process.
    first = min(results.values(), key=lambda row: row.started_at)
    assert first.task_path == "monitoring.tasks.deliver_notifications"
    assert all(row.worker_ids == ["worker-process"] for row in results.values())
    assert Delivery.objects.get().status == "sent" and len(receiver.requests) == 1
    # It stopped cleanly (the queue drained): no longer counted alive.
    assert not WorkerHeartbeat.objects.exists()
    # Each run freed its claim when it ended: the next due work queues again.
    assert not TaskClaim.objects.exists()
    m365admin_jobs.enqueue_partition_maintenance()
    assert _queued() == ["m365admin.tasks.maintain_partitions"]

