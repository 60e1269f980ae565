"""The database check: SELECT 1, and the psycopg pool on PostgreSQL."""

from __future__ import annotations

import copy
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from m365admin.choices import Component, HealthStatus
from monitoring.health import database

TIMEOUT = 0.5


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def extra_alias():
    """Adds a database alias built from the default one with some settings changed."""
    added = []

    def add(alias: str, **changes) -> str:
        settings_dict = copy.deepcopy(connections.settings["default"])
        settings_dict.update(changes)
        connections.settings[alias] = settings_dict
        added.append(alias)
        return alias

    yield add
    for alias in added:
        connections[alias].close()
        if getattr(connections[alias], "pool", None) is not None:
            connections[alias].close_pool()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture
def unreachable(extra_alias):
    """The default database's settings, pointing where no database answers."""
    if connection.vendor == "postgresql":
        options = {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "pool"}
        return extra_alias("unreachable", HOST="127.0.0.1", PORT=_closed_port(), OPTIONS=options)
    return extra_alias("unreachable", NAME="/nonexistent-folder/m365admin.sqlite3")


@pytest.mark.django_db
def test_it_is_up_after_a_select_1():
    health = database.check(TIMEOUT)
    assert (health.component, health.status) == (Component.DATABASE, HealthStatus.UP)
    assert health.reason.startswith("SELECT 1 in ")
    assert health.details["vendor"] == connection.vendor


@pytest.mark.django_db
def test_it_is_degraded_when_slower_than_the_threshold(settings):
    settings.HEALTH_SLOW_MS = 0.000001
    health = database.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert "slower than 0.0 ms" in health.reason


def test_it_is_down_within_the_timeout_when_the_database_is_unreachable(
    unreachable, django_db_blocker
):
    # No test database or transaction: the only connection tried is the unreachable one.
    started = time.perf_counter()
    with django_db_blocker.unblock():
        health = database.check(TIMEOUT, using=unreachable)
    assert time.perf_counter() - started < TIMEOUT
    assert health.status == HealthStatus.DOWN
    assert health.reason.startswith("database unreachable: ")
    assert "\n" not in health.reason


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_reports_the_pool_on_postgresql():
    health = database.check(TIMEOUT)
    assert health.status == HealthStatus.UP
    assert set(health.details["pool"]) == {"size", "max", "available", "waiting"}
    assert health.details["pool"]["max"] == connection.settings_dict["OPTIONS"]["pool"]["max_size"]
    assert "/" in health.reason and "in use" in health.reason


@pytest.mark.postgres
def test_an_exhausted_pool_is_degraded_without_queueing_for_a_connection(
    django_db_setup, django_db_blocker, extra_alias
):
    # Outside a test case: the tiny pool's alias connects to the test database on its own.
    options = {**connection.settings_dict["OPTIONS"],
               "pool": {"min_size": 1, "max_size": 1, "timeout": 5}}
    alias = extra_alias("tiny_pool", OPTIONS=options)
    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as other_thread:
        connections[alias].ensure_connection()  # this thread holds the only connection
        started = time.perf_counter()
        health = other_thread.submit(database.check, TIMEOUT, alias).result()
        elapsed = time.perf_counter() - started
    assert elapsed < TIMEOUT
    assert health.status == HealthStatus.DEGRADED
    assert health.reason.startswith("connection pool exhausted: 1 of 1 connections in use")
