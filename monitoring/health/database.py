"""Database: a SELECT 1 round trip and, on PostgreSQL, the state of Django's psycopg pool."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from m365admin.choices import Component, HealthStatus
from m365admin.lib.health import Health, error_text, ms, ms_since
from m365admin.registry.health import health_check
from m365admin.texts import message


def select_one(using: str = DEFAULT_DB_ALIAS) -> None:
    """One round trip; raises DatabaseError when the database does not answer."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


@health_check(Component.DATABASE)
def check(timeout: float, using: str = DEFAULT_DB_ALIAS) -> Health:
    vendor = connections[using].vendor
    details: dict[str, Any] = {"vendor": vendor}
    pool = _pool_state(using)
    if pool is not None:
        details["pool"] = pool
        # Said before asking for a connection: the check would only queue behind the others
        # until the pool's timeout, well after this check's own.
        if pool["waiting"] or (pool["available"] == 0 and pool["size"] >= pool["max"]):
            return Health(Component.DATABASE, HealthStatus.DEGRADED, None,
                          message("health.database.pool_exhausted", size=pool["size"],
                                  max=pool["max"], waiting=pool["waiting"]), details)
    started = time.perf_counter()
    try:
        select_one(using)
    except DatabaseError as exc:
        return Health(Component.DATABASE, HealthStatus.DOWN, ms_since(started),
                      message("health.database.unreachable", error=error_text(exc)), details)
    latency = ms_since(started)
    if latency > settings.HEALTH_SLOW_MS:
        return Health(Component.DATABASE, HealthStatus.DEGRADED, latency,
                      message("health.database.slow", ms=ms(latency),
                              limit=ms(settings.HEALTH_SLOW_MS)), details)
    said = (message("health.database.up_pool", ms=ms(latency), vendor=vendor,
                    in_use=pool["size"] - pool["available"], max=pool["max"]) if pool
            else message("health.database.up", ms=ms(latency), vendor=vendor))
    return Health(Component.DATABASE, HealthStatus.UP, latency, said, details)


def _pool_state(using: str) -> dict[str, int] | None:
    """Open connections, the limit, idle connections and waiting requests of the psycopg pool."""
    pool = getattr(connections[using], "pool", None)  # PostgreSQL with OPTIONS["pool"] only
    if pool is None:
        return None
    stats = pool.get_stats()
    return {
        "size": stats.get("pool_size", 0),
        "max": stats.get("pool_max", pool.max_size),
        "available": stats.get("pool_available", 0),
        "waiting": stats.get("requests_waiting", 0),
    }
