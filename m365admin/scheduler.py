"""The scheduler: periodic jobs on one asyncio loop, with exactly one active scheduler.

Apps register their jobs in a `jobs.py` module with `@periodic(...)` (found by
`autodiscover_modules`), so this runner never names an app. Sync jobs run in worker threads
and async jobs on the loop; a job never overlaps itself, and a slow job never delays another.

Only the leader runs jobs. On PostgreSQL leadership is a session-level advisory lock held on a
dedicated connection: if the leader dies its connection closes, the lock is released, and a
standby takes over at its next attempt (within one interval). On SQLite, a single host by
definition, an exclusive lock on a file under var/ does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import inspect
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

import psycopg
from django.conf import settings
from django.db import connection
from django.utils.module_loading import autodiscover_modules

from m365admin.lib.asyncdb import with_db
from m365admin.lib.ownconnection import own_connection

logger = logging.getLogger(__name__)

# pg_try_advisory_lock key: "m365a" as a number, unlikely to collide with other applications.
LOCK_KEY = 0x6D33363561
# A leader whose lock session has been quiet for two intervals (at least this long) is hung.
MIN_LEASE_SECONDS = 5.0

# A job: a sync or async callable without arguments (what it returns is not used).
JobFunc = TypeVar("JobFunc", bound=Callable[[], object])


@dataclass
class Job:
    name: str
    every: Callable[[], float]  # seconds, read each time so settings changes apply
    func: Callable[[], object]
    last_started: float | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def due(self, now: float) -> bool:
        running = self.task is not None and not self.task.done()
        return not running and (self.last_started is None or now - self.last_started >= self.every())

    def next_due(self, now: float) -> float:
        return 0.0 if self.last_started is None else self.last_started + self.every() - now


JOBS: dict[str, Job] = {}


def periodic(name: str, every: Callable[[], float]) -> Callable[[JobFunc], JobFunc]:
    """Register a job (sync or async callable without arguments) run every `every()` seconds."""

    def register(func: JobFunc) -> JobFunc:
        JOBS[name] = Job(name, every, func)
        return func

    return register


def discover() -> dict[str, Job]:
    autodiscover_modules("jobs")
    return JOBS


class LeaderLock:
    """Held by at most one scheduler: a PostgreSQL advisory lock, or a file lock on SQLite."""

    def __init__(self) -> None:
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self._file: TextIO | None = None

    def try_acquire(self) -> bool:
        if connection.vendor == "postgresql":
            return self._try_advisory()
        return self._try_file()

    def held(self) -> bool:
        """Still ours? A lost database connection means the lock is gone too."""
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()  # closing the session releases the advisory lock
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def _try_advisory(self) -> bool:
        if self._conn is None:
            self._conn = own_connection()
        try:
            got = self._conn.execute("SELECT pg_try_advisory_lock(%s)",
                                     [LOCK_KEY]).fetchone()[0]  # type: ignore[index]  # one row
        except psycopg.Error:
            self.release()
            raise
        if not got and self._fence_hung_leader():
            got = self._conn.execute("SELECT pg_try_advisory_lock(%s)",
                                     [LOCK_KEY]).fetchone()[0]  # type: ignore[index]  # one row
        if not got:
            self.release()
        return bool(got)

    def _fence_hung_leader(self) -> bool:
        """Terminate the leader's lock session when it has been quiet past the lease.

        A leader checks its lock on every round (at least once an interval), which moves its
        session's state_change; a leader that hangs (SIGSTOP, a frozen VM) keeps the session,
        and with it the lock, while doing nothing. Terminated, it finds the lock gone when it
        wakes and stands by (fencing). Returns whether a hung leader was terminated."""
        assert self._conn is not None  # noqa: S101 — for mypy: _try_advisory opened it
        lease = max(2 * settings.MONITORING_INTERVAL, MIN_LEASE_SECONDS)
        hung = self._conn.execute("""
            SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND ((l.classid::bigint << 32) | l.objid::bigint) = %s
              AND a.state_change < now() - make_interval(secs => %s)
        """, [LOCK_KEY, lease]).fetchone()
        if hung is None:
            return False
        logger.warning("the leader's lock session (backend %s) was quiet for over %.0f s; "
                       "terminating it to take over", hung[0], lease)
        self._conn.execute("SELECT pg_terminate_backend(%s, 5000)", [hung[0]])
        return True

    def _try_file(self) -> bool:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Held open until release(), so no context manager (SIM115).
        handle = open(settings.VAR_DIR / "scheduler.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True


class Scheduler:
    # One thread per job that may run long at once (a sync, a tick, notifications, both lanes
    # of database actions), so none waits for another's thread.
    def __init__(self, jobs: dict[str, Job] | None = None, *, workers: int = 6) -> None:
        self.jobs = discover() if jobs is None else jobs
        self.lock = LeaderLock()
        self.is_leader = False
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="scheduler")
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Until stop(): stand by for leadership, then run due jobs."""
        logger.info("scheduler started jobs=%s", ",".join(self.jobs))
        try:
            while not self._stopping.is_set():
                await self._lead_or_stand_by()
                wait = settings.MONITORING_INTERVAL
                if self.is_leader:
                    now = time.monotonic()
                    for job in self.jobs.values():
                        if job.due(now):
                            job.last_started = now
                            job.task = asyncio.create_task(self._run(job), name=job.name)
                    wait = min([wait, *(job.next_due(time.monotonic()) for job in self.jobs.values())])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=max(wait, 0.05))
        finally:
            await self._finish()

    def stop(self) -> None:
        self._stopping.set()

    async def _lead_or_stand_by(self) -> None:
        try:
            if self.is_leader:
                self.is_leader = await self._in_thread(self.lock.held)
                if not self.is_leader:
                    logger.warning("scheduler lost its leader lock; standing by")
            else:
                self.is_leader = await self._in_thread(self.lock.try_acquire)
                if self.is_leader:
                    logger.info("scheduler is the leader")
        except Exception as exc:
            self.is_leader = False
            logger.warning("scheduler cannot reach the database for its lock: %s", exc)

    async def _run(self, job: Job) -> None:
        started = time.monotonic()
        try:
            if inspect.iscoroutinefunction(job.func):
                await job.func()
            else:
                await self._in_thread(job.func)
        except Exception:
            logger.exception("job failed job=%s", job.name)
        else:
            logger.debug("job done job=%s seconds=%.3f", job.name, time.monotonic() - started)

    async def _in_thread[R](self, func: Callable[[], R]) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._executor, with_db, func)

    async def _finish(self) -> None:
        running = [job.task for job in self.jobs.values() if job.task and not job.task.done()]
        if running:
            # Let the current steps finish (a page of a sync, a tick) before giving up the lock.
            await asyncio.wait(running, timeout=30)
        await self._in_thread(self.lock.release)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.is_leader = False
        logger.info("scheduler stopped")
