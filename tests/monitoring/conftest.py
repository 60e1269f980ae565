"""Fixtures shared by the monitoring tests."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def silent_url():
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/healthz"


@pytest.fixture
def receiver(settings):
    """A webhook endpoint on loopback (allowed as a target), 30 s grouping, 10 s first retry."""
    from tests.webhook_receiver import Receiver

    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.NOTIFY_GROUP_SECONDS = 30
    settings.NOTIFY_RETRY_SECONDS = 10
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def cpu_rule():
    """CPU above 80 % for a minute, clearing below 75 % (the only rule: the seeded defaults
    would also match)."""
    from m365admin.choices import AlertSource
    from monitoring.models import AlertRule

    AlertRule.objects.all().delete()
    return AlertRule.objects.create(
        name="CPU high", source=AlertSource.METRIC, metric="cpu", comparison="gt",
        threshold=80, for_seconds=60, hysteresis=5, severity="warning",
    )


# The database console (PostgreSQL) ----------------------------------------------------------


class OtherSessions:
    """Sessions beside the test's own, as another client, a stuck transaction or a DBA would
    open them: plain autocommit psycopg connections to the test database, and scratch tables
    they create (committed, so statistics views, other sessions and the worker see them)."""

    def __init__(self) -> None:
        self.opened: list = []
        self.tables: list[str] = []

    def connect(self, name: str = "m365admin-test session", **params):
        from m365admin.lib.ownconnection import own_connection

        conn = own_connection(**{"application_name": name, **params})
        self.opened.append(conn)
        return conn

    def table(self, name: str, definition: str, *statements: str) -> str:
        """CREATE TABLE name definition, then the statements; returns "public.name"."""
        self.tables.append(name)
        with self.connect("m365admin-test setup") as conn:
            conn.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
            conn.execute(f"CREATE TABLE {name} {definition}")
            for statement in statements:
                self.flushed(conn, statement)  # each in order: an ANALYZE sets the counts
        return f"public.{name}"

    def flushed(self, conn, *statements: str, params=None) -> None:
        """Run statements on `conn`, then flush its statistics so pg_stat_* show them now."""
        for statement in statements:
            conn.execute(statement, params)
        conn.execute("SELECT pg_stat_force_next_flush()")

    def close(self) -> None:
        from psycopg.pq import TransactionStatus

        for conn in self.opened:
            if conn.closed:
                continue
            if conn.info.transaction_status == TransactionStatus.ACTIVE:
                conn.cancel_safe()  # a statement still running (a test that failed early)
            conn.close()  # rolls back, releasing any lock it held
        with self.connect("m365admin-test cleanup") as conn:
            for name in self.tables:
                conn.execute(f"DROP TABLE IF EXISTS {name} CASCADE")


@pytest.fixture
def sessions(transactional_db, in_thread):
    """Other sessions and scratch tables on the test database; all closed and dropped after
    (before the test's threads are joined: closing releases what they wait for)."""
    other = OtherSessions()
    yield other
    other.close()


@pytest.fixture
def in_thread():
    """Run a blocking call in a thread (a query that waits on a lock, a worker run); every
    thread is joined after the test, and its Django connection closed."""
    import threading

    from django.db import connections

    started = []

    def start(function, *args):
        outcome: dict = {}

        def run():
            try:
                outcome["value"] = function(*args)
            except BaseException as exc:  # handed to the test
                outcome["error"] = exc
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, daemon=True)
        thread.outcome = outcome
        thread.start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.join(timeout=30)


def wait_for(predicate, timeout: float = 10, what: str = "the condition"):
    """Poll `predicate` until it returns something truthy; returns that."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
