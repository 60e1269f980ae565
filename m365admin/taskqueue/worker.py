"""The task worker: django-tasks-db's, plus leases, retries with backoff and tenant slots.

`manage.py worker` runs one per process (production: any number, on any hosts); `serve`
runs one in a thread of its own process (the embedded default)."""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, transaction
from django.tasks import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from m365admin import workers
from m365admin.lib.asyncdb import with_db
from m365admin.models.sync import this_process
from m365admin.models.tasks import TaskLease
from m365admin.taskqueue import claims, leases

logger = logging.getLogger(__name__)


class LeasedWorker(Worker):
    """Runs tasks one at a time. A second thread says the worker is alive (m365admin.workers,
    read by the queue's health check), renews the running task's lease and queues again the
    tasks of dead workers. A task that raises is retried after a backoff until it
    has had TASK_MAX_ATTEMPTS attempts (each claim by a worker is one), then fails."""

    def __init__(self, *, worker_id: str = "", queue_names: tuple[str, ...] = ("*",),
                 interval: float = 1.0, batch: bool = False, max_tasks: int | None = None,
                 excluded_queue_names: tuple[str, ...] = (), startup_delay: bool = False,
                 backend_name: str = "default") -> None:
        super().__init__(queue_names=list(queue_names), interval=interval, batch=batch,
                         backend_name=backend_name, startup_delay=startup_delay,
                         max_tasks=max_tasks, worker_id=(worker_id or this_process())[:64],
                         excluded_queue_names=list(excluded_queue_names))
        self._running_id: UUID | None = None
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    def run(self) -> None:
        keeper = threading.Thread(target=self._keep_leases, daemon=True,
                                  name=f"lease-keeper {self.worker_id}")
        keeper.start()
        try:
            super().run()
        finally:
            self._stopping.set()
            keeper.join()
            # A clean stop: not counted alive any longer (a killed worker just stops beating).
            with suppress(DatabaseError):
                workers.stopped(self.worker_id)
            self._stopped.set()

    def stop(self) -> None:
        """Finish the running task, then return from run()."""
        self.running = False
        self._stopping.set()

    def stop_and_wait(self, timeout: float) -> bool:
        """stop(), and wait up to `timeout` seconds for run() to return (a worker in a thread
        of a process that is exiting: past that, its task goes to another worker when its
        lease expires); returns whether it did."""
        self.stop()
        return self._stopped.wait(timeout)

    def run_task(self, db_result: DBTaskResult[Any, Any]) -> None:
        leases.hold(db_result.pk, self.worker_id)
        self._running_id = db_result.pk
        try:
            task = db_result.task  # ImportError when its function is gone: a failure too
            task_started.send(sender=type(task.get_backend()), task_result=db_result.task_result)
            args, kwargs = db_result.args_kwargs["args"], db_result.args_kwargs["kwargs"]
            if task.takes_context:
                value = task.call(TaskContext(task_result=db_result.task_result), *args, **kwargs)
            else:
                value = task.call(*args, **kwargs)
        except leases.TenantBusy:
            self._requeue(db_result, settings.TASK_TENANT_BUSY_SECONDS, count_attempt=False)
        except Exception as exc:
            attempts = len(db_result.worker_ids)
            last = attempts >= settings.TASK_MAX_ATTEMPTS
            logger.warning("task attempt %d of %d failed task=%s id=%s: %s", attempts,
                           settings.TASK_MAX_ATTEMPTS, db_result.task_path, db_result.pk, exc,
                           exc_info=True)
            if last:
                self._finish(db_result, failed=exc)
            else:
                self._requeue(db_result, settings.TASK_RETRY_SECONDS * 2 ** (attempts - 1),
                              count_attempt=True)
        except BaseException:
            # Stopped mid-task (a second Ctrl-C): not the task's fault, another worker takes it.
            self._requeue(db_result, 0, count_attempt=False)
            raise
        else:
            self._finish(db_result, value=value)
        finally:
            self._running_id = None
            self._run_tasks += 1

    def _finish(self, db_result: DBTaskResult[Any, Any], *, value: Any = None,
                failed: Exception | None = None) -> None:
        with transaction.atomic():
            if not leases.still_held(db_result.pk, self.worker_id):
                logger.warning("task %s outlived its lease: another worker has it; its outcome "
                               "here is dropped", db_result.pk)
                return
            if failed is None:
                db_result.set_successful(value)
            else:
                db_result.set_failed(failed)
            TaskLease.objects.filter(task=db_result).delete()
            claims.release(db_result)
        with suppress(ImportError, SuspiciousOperation):
            task_finished.send(sender=type(db_result.task.get_backend()),
                               task_result=db_result.task_result)

    def _requeue(self, db_result: DBTaskResult[Any, Any], delay: float, *, count_attempt: bool) -> None:
        with transaction.atomic():
            if not leases.still_held(db_result.pk, self.worker_id):
                return
            worker_ids = db_result.worker_ids if count_attempt else db_result.worker_ids[:-1]
            DBTaskResult.objects.filter(pk=db_result.pk).update(
                status=TaskResultStatus.READY, worker_ids=worker_ids,
                run_after=timezone.now() + timedelta(seconds=delay))
            TaskLease.objects.filter(task=db_result).delete()

    def _keep_leases(self) -> None:
        """The heartbeat, three times a lease, busy or idle; and the dead workers' tasks,
        queued again."""
        while True:
            try:
                with_db(workers.heartbeat, self.worker_id)
                running = self._running_id
                if running is not None and not with_db(leases.renew, running, self.worker_id):
                    logger.warning("task %s: lease lost to another worker", running)
                with_db(leases.requeue_expired)
            except DatabaseError as exc:
                logger.warning("worker %s cannot beat or renew its lease: %s", self.worker_id, exc)
            if self._stopping.wait(settings.TASK_LEASE_SECONDS / 3):
                return


def start_in_thread(worker_id: str) -> LeasedWorker:
    """One worker in this process (`serve`'s embedded default): stop() it to end it."""
    worker = LeasedWorker(worker_id=worker_id)
    threading.Thread(target=with_db, args=(worker.run,), daemon=True,
                     name="task-worker").start()
    return worker
