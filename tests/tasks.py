"""Run the task queue in the test's own thread and transaction."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from m365admin.taskqueue.worker import LeasedWorker


def run_queued_tasks() -> int:
    """Run every task ready now, one after another, through `manage.py worker`'s run_task
    (without its polling loop, which closes connections between tasks, nor its heartbeat
    thread, whose own connection cannot see the test's transaction); returns how many ran.
    Tasks deferred (a retry's backoff) stay queued."""
    worker = LeasedWorker(worker_id="test")
    ran = 0
    while (db_result := DBTaskResult.objects.ready().first()) is not None:
        db_result.claim(worker.worker_id)
        worker.run_task(db_result)
        ran += 1
    return ran
