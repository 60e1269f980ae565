"""Monthly range partitions of the sign-in table on PostgreSQL.

Partitions are created ahead (SIGNIN_PARTITIONS_AHEAD months) after every migrate and by
`maintain()` (`manage.py maintainpartitions`, daily); the sync also creates the months a page
needs (`ensure_months`), so a row never finds its partition missing. There is
no DEFAULT partition (DESIGN.md "Facts checked"). Bounds are written with an explicit +00 so
they mean UTC whatever the session's time zone. On SQLite every function is a no-op.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

SIGNIN_TABLE = "m365admin_signin"

# Months known to have a partition in this process, so a page costs no catalogue query.
_known_months: set[date] = set()
_known_lock = threading.Lock()


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{SIGNIN_TABLE}_p{month:%Y_%m}"


def list_partitions() -> list[Partition]:
    """The sign-in table's partitions with their bounds, oldest first (through pg_inherits)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname, pg_get_expr(child.relpartbound, child.oid)
            FROM pg_inherits
            JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE parent.relname = %s
            ORDER BY child.relname
            """,
            [SIGNIN_TABLE],
        )
        rows = cursor.fetchall()
    return [_parse_bound(name, bound) for name, bound in rows]


def _parse_bound(name: str, bound: str) -> Partition:
    # pg_get_expr gives: FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')
    low, high = (part.split("'")[1] for part in bound.split(" TO "))
    return Partition(name, _parse_pg_timestamp(low), _parse_pg_timestamp(high))


def _parse_pg_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text if text[-3] in "+-" else text + "+00")


def ensure_months(months: set[date]) -> list[str]:
    """Create the partitions for these months if missing; returns the names created."""
    if not is_partitioned():
        return []
    with _known_lock:
        missing = sorted(months - _known_months)
    if not missing:
        return []
    created = []
    with connection.cursor() as cursor:
        for month in missing:
            name = partition_name(month)
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                cursor.execute(
                    f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF {SIGNIN_TABLE} '
                    f"FOR VALUES FROM ('{month:%Y-%m-%d} 00:00:00+00') "
                    f"TO ('{next_month(month):%Y-%m-%d} 00:00:00+00')"
                )
                created.append(name)
                logger.info("partition created table=%s", name)
    with _known_lock:
        _known_months.update(missing)
    return created


def forget_known_months() -> None:
    """Drop the in-process cache (after partitions were dropped, and in tests)."""
    with _known_lock:
        _known_months.clear()


def create_ahead(now: datetime | None = None, months_ahead: int | None = None) -> list[str]:
    """Partitions from last month to `months_ahead` months after this one."""
    now = now or datetime.now(timezone.utc)
    months_ahead = settings.SIGNIN_PARTITIONS_AHEAD if months_ahead is None else months_ahead
    month = month_start(month_start(now) - timedelta(days=1))
    months = set()
    for _ in range(months_ahead + 2):
        months.add(month)
        month = next_month(month)
    return ensure_months(months)


def drop_expired(now: datetime | None = None, retention_days: int | None = None) -> list[str]:
    """Detach and drop partitions whose whole range is older than the retention."""
    if not is_partitioned():
        return []
    now = now or datetime.now(timezone.utc)
    retention_days = settings.SIGNIN_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = now - timedelta(days=retention_days)
    dropped = []
    with connection.cursor() as cursor:
        for partition in list_partitions():
            if partition.end <= cutoff:
                cursor.execute(f'ALTER TABLE {SIGNIN_TABLE} DETACH PARTITION "{partition.name}"')
                cursor.execute(f'DROP TABLE "{partition.name}"')
                dropped.append(partition.name)
                logger.info("partition dropped table=%s", partition.name)
    if dropped:
        forget_known_months()
    return dropped


def maintain(now: datetime | None = None) -> tuple[list[str], list[str]]:
    """The daily step: create partitions ahead, drop those past retention."""
    return create_ahead(now), drop_expired(now)
