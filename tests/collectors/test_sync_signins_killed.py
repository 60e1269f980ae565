"""A sign-in sync killed with SIGKILL anywhere loses nothing: a real `manage.py sync` process
against the simulator (newest first, a repeated sign-in at each page boundary), stopped in the
COPY of a page or in its commit, then run again.

The kill is aimed without touching the collector: the simulator holds back page k while the
test waits for page k-1 to commit, then the test takes a lock that page k's write needs
(the sign-in table for the COPY, the checkpoint row for the commit) and kills the process once
PostgreSQL shows it waiting on that lock.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from datetime import UTC, datetime

import psycopg
import pytest

from collectors.simulator import Fault
from tests.collectors.test_sync_signins import visible_signins

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SIGNINS = 5200
PAGE = 1000


@pytest.fixture
def held_clock(simulator):
    simulator.now = datetime.now(UTC)
    yield simulator.now
    simulator.now = None


@pytest.fixture
def site(live_site, make_sim_tenant, simulator, held_clock):
    """A site database with one tenant on the simulator, its partitions made ahead."""
    _, spec = make_sim_tenant(users=40, signins=SIGNINS, days=2)
    live_site.env.update({
        "GRAPH_CA_BUNDLE": str(simulator.ca_bundle),
        "SIGNIN_INITIAL_DAYS": "3",
        "SIGNIN_WINDOW_HOURS": "96",  # one window: the pages are counted below
    })
    live_site.manage("shell", "-c", (
        "from datetime import datetime, timedelta, timezone\n"
        "from m365admin import partitions\n"
        "from tests.factories import make_tenant\n"
        f"make_tenant(name='Killed', tenant_id={spec.tenant_id!r}, client_id={spec.client_id!r}, "
        f"secret={spec.client_secret!r}, authority_url={simulator.base_url!r}, "
        f"graph_url={simulator.base_url!r})\n"
        "now = datetime.now(timezone.utc)\n"
        "partitions.ensure_months({partitions.month_start(now - timedelta(days=d)) "
        "for d in range(4)})\n"
    ))
    live_site.spec = spec
    return live_site


def pages_for(count: int) -> int:
    """Pages of one window: each page after the first repeats one sign-in of the one before."""
    return 1 + math.ceil(max(0, count - PAGE) / (PAGE - 1))


def start_sync(site) -> subprocess.Popen:
    return site.start("sync", "--tenant", "Killed", "--collector", "signins", "--no-progress",
                      log=f"sync-{time.monotonic_ns()}.log")


def wait_for(condition, seconds: float, what: str, site) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def committed_pages(site) -> int:
    rows = site.query("SELECT pages FROM m365admin_syncrun ORDER BY id DESC LIMIT 1")
    return rows[0][0] if rows else -1


def waiting_on_lock(conn, statement: str) -> bool:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query ILIKE %s", (statement + "%",),
    ).fetchone()[0] > 0


def kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stored_ids(site) -> list[str]:
    return [row[0] for row in site.query("SELECT graph_id FROM m365admin_signin")]


def kill_at(site, simulator, page: int, where: str) -> None:
    """Run a sync and kill it while page `page` is being written (`copy`) or committed."""
    simulator.faults.add(Fault("delay", path=r"/auditLogs/signIns", tenant=site.spec.tenant_id,
                               after=page - 1, seconds=3))
    process = start_sync(site)
    wait_for(lambda: committed_pages(site) == page - 1, 30, f"page {page - 1} to commit", site)
    # A lock taken before the run has its checkpoint row would hold nothing (a loaded machine
    # starts the run slowly): wait for the window it reads.
    wait_for(lambda: site.query("SELECT count(*) FROM m365admin_synccheckpoint "
                                "WHERE window_start IS NOT NULL")[0][0] == 1, 30,
             "the run to open its window", site)
    url = site.env["DATABASE_URL"]
    # The statistics views hold one snapshot per transaction: watch from outside the blocker's.
    with psycopg.connect(url) as blocker, psycopg.connect(url, autocommit=True) as watcher:
        if where == "copy":
            blocker.execute("LOCK TABLE m365admin_signin IN SHARE MODE")
            statements = ("COPY", "INSERT INTO m365admin_signin")
        else:
            blocker.execute("SELECT 1 FROM m365admin_synccheckpoint FOR UPDATE")
            statements = ('UPDATE "m365admin_synccheckpoint"',)
        wait_for(lambda: any(waiting_on_lock(watcher, s) for s in statements), 30,
                 f"page {page}'s {where} to wait on the test's lock", site)
        assert process.poll() is None, site.log(process.args[-1])
        kill(process)
        blocker.rollback()
    simulator.faults.clear()


@pytest.mark.parametrize(("where", "page"), [
    ("copy", "first"), ("commit", "first"), ("copy", "middle"), ("commit", "middle"),
    ("copy", "last"), ("commit", "last"),
])
def test_a_sync_killed_in_a_page_loses_nothing_when_run_again(site, simulator, held_clock,
                                                               where, page):
    served = visible_signins(site.spec, held_clock)
    total = pages_for(len(served))
    assert total >= 4
    number = {"first": 1, "middle": total // 2, "last": total}[page]

    kill_at(site, simulator, number, where)
    assert len(stored_ids(site)) < len(served)  # the kill lost page `number`'s rows

    rerun = start_sync(site)
    assert rerun.wait(timeout=120) == 0, site.log(rerun.args[-1])
    ids = stored_ids(site)
    assert len(ids) == len(set(ids))
    assert set(ids) == served
    runs = site.query("SELECT status, error, written FROM m365admin_syncrun ORDER BY id")
    assert [status for status, _, _ in runs] == ["abandoned", "succeeded"]
    assert f"after {number - 1} page(s)" in runs[0][1]
    assert sum(written for _, _, written in runs) == len(served)  # each sign-in counted once


def test_a_sync_failed_at_a_page_loses_nothing_when_run_again(site, simulator, held_clock):
    served = visible_signins(site.spec, held_clock)
    simulator.faults.add(Fault("status", path=r"/auditLogs/signIns", tenant=site.spec.tenant_id,
                               after=2, status=500, times=None))
    failed = start_sync(site)
    assert failed.wait(timeout=120) == 1
    simulator.faults.clear()
    rerun = start_sync(site)
    assert rerun.wait(timeout=120) == 0, site.log(rerun.args[-1])
    ids = stored_ids(site)
    assert len(ids) == len(set(ids)) and set(ids) == served
    statuses = [row[0] for row in site.query("SELECT status FROM m365admin_syncrun ORDER BY id")]
    assert statuses == ["failed", "succeeded"]


def test_a_run_on_another_host_is_abandoned_once_its_lease_runs_out(site):
    site.manage("shell", "-c", (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from m365admin.models import SyncRun, Tenant\n"
        "tenant = Tenant.objects.get(name='Killed')\n"
        "old = timezone.now() - timedelta(minutes=20)\n"
        "SyncRun.objects.create(tenant=tenant, collector='signins', owner='elsewhere:1', "
        "started=old, heartbeat=old, pages=3)\n"
        "SyncRun.objects.create(tenant=tenant, collector='users', owner='elsewhere:2', "
        "started=old, heartbeat=timezone.now())\n"
        "assert SyncRun.objects.abandon_orphans() == 1\n"
    ))
    rows = site.query("SELECT collector, status, error FROM m365admin_syncrun ORDER BY id")
    assert [(collector, status) for collector, status, _ in rows] == [
        ("signins", "abandoned"), ("users", "running")]
    assert "elsewhere:1" in rows[0][2] and "after 3 page(s)" in rows[0][2]

