"""The scheduler: jobs on their intervals, never overlapping, and one leader at a time."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from m365admin.scheduler import JOBS, Job, LeaderLock, Scheduler, discover


@pytest.fixture(autouse=True)
def _fast(settings, tmp_path):
    settings.MONITORING_INTERVAL = 0.05
    settings.VAR_DIR = tmp_path


def _run_until(done, scheduler: Scheduler, timeout: float = 10.0) -> float:
    """Run the scheduler until done() or the timeout; returns the seconds it ran."""

    async def scenario() -> float:
        started = time.monotonic()
        task = asyncio.create_task(scheduler.run())
        while not done() and time.monotonic() - started < timeout:
            await asyncio.sleep(0.02)
        elapsed = time.monotonic() - started
        scheduler.stop()
        await task
        return elapsed

    return asyncio.run(scenario())


def test_every_app_registers_its_jobs():
    discover()
    assert {"monitoring.tick", "monitoring.retention", "monitoring.notify", "collectors.sync",
            "m365admin.partitions"} <= set(JOBS)


@pytest.mark.django_db(transaction=True)
def test_sync_and_async_jobs_run_on_their_interval():
    runs = {"sync": 0, "async": 0}

    def count_sync():
        runs["sync"] += 1

    async def count_async():
        runs["async"] += 1

    jobs = {
        "sync": Job("sync", lambda: 0.1, count_sync),
        "async": Job("async", lambda: 0.1, count_async),
    }
    elapsed = _run_until(lambda: min(runs.values()) >= 4, Scheduler(jobs))
    assert min(runs.values()) >= 4
    # Not more often than the interval allows (the first run is immediate).
    assert max(runs.values()) <= elapsed / 0.1 + 1


@pytest.mark.django_db(transaction=True)
def test_a_slow_job_never_overlaps_itself_nor_delays_another():
    active, overlaps, quick = [0], [0], [0]
    guard = threading.Lock()

    def slow():
        with guard:
            active[0] += 1
            overlaps[0] = max(overlaps[0], active[0])
        time.sleep(0.3)
        with guard:
            active[0] -= 1

    def fast():
        quick[0] += 1

    jobs = {"slow": Job("slow", lambda: 0.05, slow), "fast": Job("fast", lambda: 0.05, fast)}
    _run_until(lambda: quick[0] >= 8, Scheduler(jobs))
    assert quick[0] >= 8
    assert overlaps[0] == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_logged_and_runs_again(caplog):
    calls = [0]

    def broken():
        calls[0] += 1
        raise RuntimeError("boom")

    _run_until(lambda: calls[0] >= 3, Scheduler({"broken": Job("broken", lambda: 0.1, broken)}))
    assert calls[0] >= 3
    assert "job failed job=broken" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_leader_lock_is_held_by_one_at_a_time():
    first, second = LeaderLock(), LeaderLock()
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.held()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


@pytest.mark.django_db(transaction=True)
def test_a_standby_takes_over_when_the_leader_stops():
    ran: list[str] = []

    def make(name: str) -> Scheduler:
        return Scheduler({name: Job(name, lambda: 0.05, lambda: ran.append(name))})

    async def until(condition, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def scenario():
        leader, standby = make("a"), make("b")
        first = asyncio.create_task(leader.run())
        await until(lambda: "a" in ran)
        second = asyncio.create_task(standby.run())
        await asyncio.sleep(0.3)  # several of the standby's attempts
        assert leader.is_leader and not standby.is_leader
        assert "b" not in ran
        leader.stop()
        await first
        await until(lambda: "b" in ran)  # the standby retries every interval
        assert standby.is_leader
        standby.stop()
        await second

    asyncio.run(scenario())
    assert "a" in ran and "b" in ran
