"""Run the scheduler on its own (production): one leader at a time, the others stand by."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand

from m365admin.scheduler import Scheduler


class Command(BaseCommand):
    help = (
        "Run periodic work: metrics, health checks, the dashboard tick, collector syncs and "
        "partition maintenance. Start one or more; exactly one is active at a time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        scheduler = Scheduler()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Finish the current steps, release the lock, and exit.
            loop.add_signal_handler(signum, scheduler.stop)
        await scheduler.run()
