"""Run background tasks (production: one or more per host, as many hosts as you like)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker

from m365admin.models.sync import this_process
from m365admin.taskqueue.worker import LeasedWorker


class Command(db_worker.Command):
    help = ("Run background tasks: collector runs, detections and the rest (docs/tasks.md). "
            "Start any number on any hosts; they share one queue in the database. "
            "`db_worker`'s options, with leases, retries and tenant slots added.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # Every queue, and a worker id that says where the worker runs (the admin shows it).
        parser.set_defaults(queue_name="*", worker_id=this_process(), reload=False)

    def handle(self, *, verbosity: int, queue_name: str, interval: float, batch: bool,
               backend_name: str, startup_delay: bool, reload: bool, max_tasks: int | None,
               worker_id: str, exclude_queues: str, **options: Any) -> None:
        self.configure_logging(verbosity)
        if reload:
            raise CommandError("--reload is not supported: restart the worker instead")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and queue_name != "*":
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            worker_id=worker_id, queue_names=tuple(queue_name.split(",")), interval=interval,
            batch=batch, max_tasks=max_tasks, excluded_queue_names=tuple(excluded),
            startup_delay=startup_delay, backend_name=backend_name,
        )
        worker.configure_signals()
        worker.run()
