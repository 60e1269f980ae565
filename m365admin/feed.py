"""The security feed: security events, detection findings and alert changes, in commit order.

The apps that record them call `publish` inside the transaction that writes the event (an
outbox), so a record exists exactly when its event does. Readers (the API's NDJSON feed, the
syslog forwarder) page through it with a cursor: the position after the last record read.

Why not simply "ids above the cursor": ids are taken when a row is inserted but become
visible when its transaction commits, so a reader can pass id 8 while id 7's transaction is
still open, and never see 7. Records are therefore ordered by (transaction id, id) and served
only below the oldest transaction still open (`horizon`): every record served is committed,
and every record committed later sorts after it. On SQLite one writer at a time commits in
the order of ids, so the id alone orders them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Q

from m365admin.models.feed import FeedRecord

if TYPE_CHECKING:
    from m365admin.models import Tenant


class BadCursor(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Cursor:
    txid: int = 0
    id: int = 0

    def __str__(self) -> str:
        return f"{self.txid}-{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        match = re.fullmatch(r"(\d{1,19})-(\d{1,19})", text)
        if match is None or max(int(part) for part in match.groups()) >= 2**63:
            raise BadCursor(f"{text[:40]!r} is not a cursor of this feed: give the `cursor` of "
                            "the last record you read (or Feed-Next-Cursor), or nothing to "
                            "start from the beginning.")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, record: FeedRecord) -> Cursor:
        return cls(record.txid, record.id)


def publish(records: list[FeedRecord]) -> None:
    """Write the records in the caller's transaction, the one that writes their events."""
    if not connection.in_atomic_block:
        raise RuntimeError("feed.publish needs the transaction that records the events")
    # txid (a database default) comes back with the ids (RETURNING), for the records' cursors.
    FeedRecord.objects.bulk_create(records)


def record(type: str, object_id: object, *, time: datetime, severity: str,
           tenant: Tenant | None = None, **fields: Any) -> FeedRecord:
    """An unsaved record; `tenant` a Tenant or None, `fields` JSON-ready values."""
    return FeedRecord(
        type=type, object_id=str(object_id), time=time, severity=severity,
        tenant={"id": tenant.tenant_id, "name": tenant.name} if tenant is not None else None,
        fields=fields,
    )


def horizon() -> int | None:
    """The lowest transaction id that may still commit records (PostgreSQL), else None.

    Transactions of other databases on the same server cannot write here and are left out, so
    a long transaction elsewhere does not hold the feed back. Every record with a lower
    transaction id is committed (or never will be). A reader inside a transaction that wrote
    records does not see them either: they are not committed.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH s AS (SELECT pg_current_snapshot() AS snap),
            elsewhere AS (
                SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
                WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
            ),
            running AS (
                SELECT x::text::bigint AS xid FROM s, pg_snapshot_xip(s.snap) AS x
                WHERE x::text::bigint % 4294967296 NOT IN (SELECT xid FROM elsewhere)
            )
            SELECT coalesce((SELECT min(xid) FROM running),
                            (SELECT pg_snapshot_xmax(snap)::text::bigint FROM s))
        """)
        xid: int | None = cursor.fetchone()[0]
        return xid


def page(after: Cursor, limit: int) -> list[FeedRecord]:
    """Up to `limit` committed records after the cursor, in feed order."""
    records = FeedRecord.objects.filter(
        Q(txid__gt=after.txid) | Q(txid=after.txid, id__gt=after.id), txid__gte=after.txid,
    ).order_by("txid", "id")
    below = horizon()
    if below is not None:
        records = records.filter(txid__lt=below)
    return list(records[:limit])


def line(record: FeedRecord) -> dict[str, Any]:
    """One record as the feed and the syslog messages carry it."""
    return {
        "type": record.type,
        "id": str(record.pk),
        "object_id": record.object_id,
        "cursor": str(Cursor.of(record)),
        "time": iso(record.time),
        "recorded": iso(record.recorded),
        "tenant": record.tenant,
        "severity": record.severity,
        **record.fields,
    }


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 left as it is: a feed line, a syslog body."""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset (+00:00), as every time in the feed."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None

