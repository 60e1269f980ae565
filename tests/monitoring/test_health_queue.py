"""The task queue's health: due tasks and how long the oldest waits, live workers, failures in
the last hour; degraded past one interval, down without a live worker, and the alerts that
follow both (and resolve when the queue recovers). Real queue rows, real heartbeats."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from collectors.health import queue
from m365admin.choices import Component, HealthStatus
from m365admin.models.workers import WorkerHeartbeat
from m365admin.workers import alive_within, heartbeat
from monitoring import health
from monitoring.alerts import alerting
from monitoring.messages import Tick
from monitoring.models import Alert
from monitoring.tasks import deliver_notifications, snapshot_database
from tests.live import ROOT, child_database_url
from tests.monitoring.conftest import wait_for

pytestmark = pytest.mark.django_db


def _check():
    return queue.check(1.0)


def _enqueued(task, waited: timedelta) -> DBTaskResult:
    result = task.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - waited)
    return DBTaskResult.objects.get(pk=result.id)


def test_no_worker_ever_seen_is_down():
    result = _check()
    assert (result.component, result.status) == (Component.QUEUE, HealthStatus.DOWN)
    assert result.reason == "no task worker alive: nothing in the queue runs"
    assert result.details["live_workers"] == 0


def test_a_worker_not_heard_from_lately_is_not_alive():
    heartbeat("w1", now=timezone.now() - alive_within() - timedelta(minutes=4))
    result = _check()
    assert result.status == HealthStatus.DOWN
    assert result.reason == "no task worker heard from for 5 min: nothing in the queue runs"


def test_a_live_worker_and_an_empty_queue_is_up():
    heartbeat("w1")
    result = _check()
    assert result.status == HealthStatus.UP, result.reason
    assert result.reason == ("0 due tasks, the oldest waiting 0 s; 1 worker alive; 0 failed in "
                             "the last hour")
    assert result.details["workers"][0]["worker"] == "w1"


def test_the_oldest_due_task_waiting_past_one_interval_degrades_it(settings):
    settings.SYNC_SIGNINS_MINUTES = settings.SYNC_SERVICE_HEALTH_MINUTES = 5
    heartbeat("w1")
    _enqueued(deliver_notifications, timedelta(minutes=4))
    assert _check().status == HealthStatus.UP
    _enqueued(snapshot_database, timedelta(minutes=6))
    result = _check()
    assert result.status == HealthStatus.DEGRADED
    assert result.reason == ("the oldest of 2 due tasks has waited 6 min, longer than one "
                             "interval (5 min)")
    assert (result.details["depth"], result.details["oldest_wait_seconds"] // 60) == (2, 6)


def test_a_task_to_run_later_waits_from_its_run_after_not_from_when_it_was_enqueued():
    heartbeat("w1")
    later = deliver_notifications.using(run_after=timezone.now() + timedelta(minutes=1))
    later.enqueue()
    assert _check().details["depth"] == 0  # not due yet
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=2),
                                run_after=timezone.now() - timedelta(seconds=30))
    result = _check()
    assert result.details["depth"] == 1 and 29 <= result.details["oldest_wait_seconds"] < 40
    assert result.status == HealthStatus.UP


def test_failures_of_the_last_hour_are_counted():
    heartbeat("w1")
    for finished in (timedelta(minutes=10), timedelta(hours=2)):
        row = _enqueued(deliver_notifications, timedelta(0))
        DBTaskResult.objects.filter(pk=row.pk).update(
            status=TaskResultStatus.FAILED, finished_at=timezone.now() - finished)
    assert _check().details["failed_last_hour"] == 1


# The worker runs in a process of its own: no test transaction around the test.
@pytest.mark.django_db(transaction=True)
def test_a_worker_is_alive_while_it_runs_busy_or_idle_and_not_once_stopped(tmp_path):
    """`manage.py worker` beats from its lease keeper: the queue is up while it runs (the task
    done, then idle), and a clean stop (SIGTERM) takes it off the live list at once."""
    _enqueued(deliver_notifications, timedelta(minutes=30))
    assert _check().status == HealthStatus.DOWN
    env = {**os.environ, "DATABASE_URL": child_database_url(), "TASK_LEASE_SECONDS": "3"}
    with open(tmp_path / "worker.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-startup-delay",
             "--worker-id", "in-test"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: DBTaskResult.objects.filter(
            status=TaskResultStatus.SUCCESSFUL).exists(), timeout=60, what="the task done")
        time.sleep(2)  # idle for more than a beat (a third of the 3 s lease)
        result = _check()
        assert (result.status, result.details["depth"]) == (HealthStatus.UP, 0), result.reason
        assert [w["worker"] for w in result.details["workers"]] == ["in-test"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, (tmp_path / "worker.log").read_text()
        assert not WorkerHeartbeat.objects.exists()
        assert _check().status == HealthStatus.DOWN
    finally:
        if process.poll() is None:
            process.kill()


def test_no_worker_fires_the_down_alert_and_a_worker_coming_back_resolves_it(default_rules):
    now = timezone.now()
    _evaluate(now)
    _evaluate(now + timedelta(seconds=61))  # "Component down: queue" waits 60 s
    alert = Alert.objects.get(rule__name="Component down: queue")
    assert alert.status == "firing"
    heartbeat("w1")
    _evaluate(now + timedelta(seconds=62))
    alert.refresh_from_db()
    assert alert.status == "resolved"


def test_a_queue_falling_behind_fires_the_degraded_alert(default_rules, settings):
    settings.SYNC_SIGNINS_MINUTES = settings.SYNC_SERVICE_HEALTH_MINUTES = 5
    heartbeat("w1")
    _enqueued(deliver_notifications, timedelta(minutes=10))
    now = timezone.now()
    _evaluate(now)
    _evaluate(now + timedelta(seconds=301))  # "Component degraded: queue" waits 300 s
    assert Alert.objects.get(rule__name="Component degraded: queue").status == "firing"


def _evaluate(at) -> None:
    """What the tick does for this component: check, record, evaluate the rules."""
    health.record([_check()], now=at)
    alerting.evaluate(alerting.observe(Tick(health=health.latest())), now=at)
