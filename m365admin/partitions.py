"""Range partitions on PostgreSQL: sign-ins by month, metric samples by day.

Each partitioned table is a `PartitionedTable` registered here; `maintain()` (the scheduler's
daily job and `manage.py maintainpartitions`) creates partitions ahead and drops those past
retention for all of them, and migrate creates them ahead too. Writers also call `ensure()`
for the periods a batch needs, so a row never finds its partition missing. There is no
DEFAULT partition (DESIGN.md "Facts checked"). Bounds are written with an explicit +00 so they
mean UTC whatever the session's time zone. On SQLite every function is a no-op.
"""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


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


def day_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, moment.day)


def next_day(day: date) -> date:
    return day + timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: Callable[[datetime | date], date]
    next: Callable[[date], date]
    suffix: str  # strftime format of the partition name's suffix


MONTHLY = Period(month_start, next_month, "%Y_%m")
DAILY = Period(day_start, next_day, "%Y_%m_%d")


class PartitionedTable:
    """One range-partitioned table: its period, how far ahead, and how long rows are kept."""

    def __init__(
        self, table: str, period: Period, *,
        ahead: Callable[[], int], retention: Callable[[], timedelta],
    ) -> None:
        self.table = table
        self.period = period
        self._ahead = ahead
        self._retention = retention
        # Periods known to have a partition in this process, so a batch costs no catalogue query.
        self._known: set[date] = set()
        self._lock = threading.Lock()

    def partition_name(self, period: date) -> str:
        return f"{self.table}_p{period.strftime(self.period.suffix)}"

    def list(self) -> list[Partition]:
        """The partitions with their bounds, oldest first (through pg_inherits)."""
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
                [self.table],
            )
            rows = cursor.fetchall()
        return [_parse_bound(name, bound) for name, bound in rows]

    def ensure(self, periods: set[date]) -> builtins.list[str]:
        """Create the partitions for these periods if missing; returns the names created."""
        if not is_partitioned():
            return []
        with self._lock:
            missing = sorted(periods - self._known)
        if not missing:
            return []
        created = []
        with connection.cursor() as cursor:
            for period in missing:
                name = self.partition_name(period)
                cursor.execute("SELECT to_regclass(%s)", [name])
                if cursor.fetchone()[0] is None:
                    cursor.execute(self.create_sql(period))
                    created.append(name)
                    logger.info("partition created table=%s", name)
        with self._lock:
            self._known.update(missing)
        return created

    def ensure_for(self, moments: Iterable[datetime]) -> builtins.list[str]:
        """Create the partitions these timestamps fall in."""
        return self.ensure({self.period.start(moment) for moment in moments})

    def forget_known(self) -> None:
        """Drop the in-process cache (after partitions were dropped, and in tests)."""
        with self._lock:
            self._known.clear()

    def create_sql(self, period: date) -> str:
        # The names and bounds come from this module, never from user input.
        return (
            f'CREATE TABLE IF NOT EXISTS "{self.partition_name(period)}" PARTITION OF '
            f'"{self.table}" FOR VALUES FROM (\'{period:%Y-%m-%d} 00:00:00+00\') '
            f"TO ('{self.period.next(period):%Y-%m-%d} 00:00:00+00')"
        )

    def drop_sql(self, partition: Partition) -> builtins.list[str]:
        return [f'ALTER TABLE "{self.table}" DETACH PARTITION "{partition.name}"',
                f'DROP TABLE "{partition.name}"']

    def periods_ahead(self, now: datetime | None = None,
                      ahead: int | None = None) -> builtins.list[date]:
        """From the previous period to `ahead` periods after the current one."""
        now = now or datetime.now(UTC)
        ahead = self._ahead() if ahead is None else ahead
        period = self.period.start(self.period.start(now) - timedelta(days=1))
        periods = []
        for _ in range(ahead + 2):
            periods.append(period)
            period = self.period.next(period)
        return periods

    def missing_ahead(self, now: datetime | None = None) -> builtins.list[date]:
        """The periods ahead that have no partition yet (asks the catalogue, not the cache)."""
        existing = {partition.name for partition in self.list()}
        return [period for period in self.periods_ahead(now)
                if self.partition_name(period) not in existing]

    def create_ahead(self, now: datetime | None = None,
                     ahead: int | None = None) -> builtins.list[str]:
        return self.ensure(set(self.periods_ahead(now, ahead)))

    def expired(self, now: datetime | None = None,
                retention: timedelta | None = None) -> builtins.list[Partition]:
        """Partitions whose whole range is older than the retention."""
        now = now or datetime.now(UTC)
        cutoff = now - (self._retention() if retention is None else retention)
        return [partition for partition in self.list() if partition.end <= cutoff]

    def drop_expired(
        self, now: datetime | None = None, retention: timedelta | None = None
    ) -> builtins.list[str]:
        """Detach and drop partitions whose whole range is older than the retention."""
        if not is_partitioned():
            return []
        dropped = []
        with connection.cursor() as cursor:
            for partition in self.expired(now, retention):
                for statement in self.drop_sql(partition):
                    cursor.execute(statement)
                dropped.append(partition.name)
                logger.info("partition dropped table=%s", partition.name)
        if dropped:
            self.forget_known()
        return dropped


def _parse_bound(name: str, bound: str) -> Partition:
    # pg_get_expr gives: FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')
    low, high = (part.split("'")[1] for part in bound.split(" TO "))
    return Partition(name, _parse_pg_timestamp(low), _parse_pg_timestamp(high))


def _parse_pg_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text if text[-3] in "+-" else text + "+00")


TABLES: list[PartitionedTable] = []


def register(table: PartitionedTable) -> PartitionedTable:
    TABLES.append(table)
    return table


SIGNINS = register(PartitionedTable(
    "m365admin_signin", MONTHLY,
    ahead=lambda: settings.SIGNIN_PARTITIONS_AHEAD,
    retention=lambda: timedelta(days=settings.SIGNIN_RETENTION_DAYS),
))

# The sign-in table's names, used by the sync and its tests.
SIGNIN_TABLE = SIGNINS.table
partition_name = SIGNINS.partition_name
list_partitions = SIGNINS.list
ensure_months = SIGNINS.ensure


def drop_expired(now: datetime | None = None, retention_days: int | None = None) -> list[str]:
    retention = None if retention_days is None else timedelta(days=retention_days)
    return SIGNINS.drop_expired(now, retention)


def create_ahead(now: datetime | None = None) -> list[str]:
    """Partitions ahead for every registered table."""
    return [name for table in TABLES for name in table.create_ahead(now)]


def forget_known() -> None:
    for table in TABLES:
        table.forget_known()


def maintain(now: datetime | None = None) -> tuple[list[str], list[str]]:
    """The daily step for every registered table: create ahead, drop past retention."""
    created, dropped = [], []
    for table in TABLES:
        created += table.create_ahead(now)
        dropped += table.drop_expired(now)
    return created, dropped
