"""Whether the database answers, asked on a short connection of its own.

Django's psycopg pool queues a request for up to DB_POOL_TIMEOUT (10 s) while the database is
away; the probes and the outage page must know within seconds, so they never ask the pool.
"""

from __future__ import annotations

import math

import psycopg
from django.db import DatabaseError, connection

from m365admin.lib.ownconnection import own_connection

# libpq's floor: a connect_timeout under 2 s is taken as 2 s.
MIN_CONNECT_TIMEOUT = 2


def unreachable(timeout: float) -> Exception | None:
    """None when the default database answers SELECT 1, else the driver's error.

    On PostgreSQL the connection attempt gives up after `timeout` seconds (at least 2); SQLite
    is a file on this host, asked through Django's own connection (it has no pool).
    """
    try:
        if connection.vendor == "postgresql":
            connect_timeout = max(MIN_CONNECT_TIMEOUT, math.ceil(timeout))
            with own_connection(connect_timeout=connect_timeout) as conn:
                conn.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except (psycopg.Error, DatabaseError) as exc:
        return exc
    return None
