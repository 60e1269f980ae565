"""Sign-in logs, incrementally by createdDateTime watermark (CONTRACT 2.3).

Each run reads from the watermark minus a small overlap (late arrivals) up to the moment the
run started, oldest first, so after each committed page the watermark is that page's newest
sign-in: a run killed anywhere resumes at the last committed page. Sign-ins at the boundary
come back twice and the upsert on (tenant, graph_id, created) absorbs them.

PostgreSQL gets a binary COPY into a temporary table and one INSERT … ON CONFLICT per page
(the bulk ceiling is COPY itself); SQLite gets Django's bulk upsert.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import msgspec
from django.conf import settings
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.errors import UniqueViolation
from psycopg.pq import Format
from django.db import connection, transaction
from django.db.models import Max

from m365admin import partitions, rollups
from m365admin.models import SignIn

from collectors.sync.base import SyncContext, dedupe_by, prefetch, premium_licence_needed
from collectors.sync.signin_rows import (
    COLUMNS,
    CREATED,
    GRAPH_ID,
    JSON_INDEX,
    Row,
    RowMapper,
    SignInItem,
    as_dict,
)

logger = logging.getLogger("collectors.sync")

PAGE_SIZE = 1000  # the documented maximum for signIns
_CONFLICT = ("tenant_id", "graph_id", "created")
_UPDATE_FIELDS = [
    f.name for f in SignIn._meta.local_fields if not f.primary_key and f.column not in _CONFLICT
]


def sync(ctx: SyncContext) -> None:
    with premium_licence_needed("Graph does not give out its sign-in logs"):
        _sync(ctx)


def _sync(ctx: SyncContext) -> None:
    run_started = datetime.now(timezone.utc)
    start = _resume_point(ctx, run_started)
    ctx.progress.start((run_started - start).total_seconds(), "s")
    done = start
    mapper = RowMapper(ctx.tenant.pk, run_started)
    stored_until = SignIn.objects.filter(tenant=ctx.tenant).aggregate(newest=Max("created"))["newest"]
    pages = ctx.client.iter_pages(
        _endpoint(), params=_query(start, run_started), item_type=SignInItem
    )
    try:
        # A pipeline of three threads: the next pages download and decode while the one after
        # the current is mapped, while the current one is written.
        for mapped in prefetch(map_page(mapper, page.items) for page in prefetch(pages)):
            newest = store_page(ctx, mapped, stored_until)
            if newest is not None and (stored_until is None or newest > stored_until):
                stored_until = newest
            if newest is not None and newest > done:
                ctx.progress.advance((newest - done).total_seconds())
                done = newest
    finally:
        # Also after a failed page: the watermark has moved past what was written, so the
        # next run would not roll those hours up.
        rollups.refresh_signin_hours(ctx.tenant, start, max(done, run_started))
    # Everything up to the moment the run started is stored, including quiet stretches.
    with transaction.atomic():
        ctx.checkpoint.watermark = max(run_started, ctx.checkpoint.watermark or run_started)
        ctx.checkpoint.save(update_fields=["watermark", "updated"])
    ctx.progress.advance(max(0.0, (run_started - done).total_seconds()))


def _resume_point(ctx: SyncContext, now: datetime) -> datetime:
    watermark = ctx.checkpoint.watermark
    if watermark is None:
        return now - timedelta(days=settings.SIGNIN_INITIAL_DAYS)
    return min(watermark - timedelta(minutes=settings.SIGNIN_OVERLAP_MINUTES), now)


def _endpoint() -> str:
    # beta adds authenticationRequirement (MFA gaps) but is unsupported for production use.
    version = "beta" if settings.GRAPH_SIGNINS_BETA else "v1.0"
    return f"/{version}/auditLogs/signIns"


def _query(start: datetime, end: datetime) -> dict[str, str]:
    return {
        "$filter": f"createdDateTime ge {_iso(start)} and createdDateTime le {_iso(end)}",
        "$orderby": "createdDateTime asc",
        "$top": str(PAGE_SIZE),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class MappedPage:
    rows: list[Row]
    rejected: int


def map_page(mapper: RowMapper, items: list[SignInItem]) -> MappedPage:
    rows, rejected = [], 0
    for item in items:
        row = mapper.row(item)
        if row is None:
            rejected += 1
        else:
            rows.append(row)
    return MappedPage(dedupe_by(rows, lambda row: (row[GRAPH_ID], row[CREATED])), rejected)


def store_page(
    ctx: SyncContext, page: MappedPage, stored_until: datetime | None
) -> datetime | None:
    """Write one page and move the watermark to its newest sign-in; returns that time.

    `stored_until` is the newest sign-in the tenant has stored (None: it has none). A page
    entirely after it cannot hold a sign-in we have, so it is copied straight in.
    """
    rows = page.rows
    if page.rejected:
        logger.warning(
            "rejected tenant=%s collector=signins items=%d reason=missing id or createdDateTime "
            "outside the retention window", ctx.tenant.tenant_id, page.rejected,
        )
    newest = max((row[CREATED] for row in rows), default=None)
    partitions.ensure_months({partitions.month_start(row[CREATED]) for row in rows})
    with transaction.atomic():
        if rows:
            _write(rows, fresh=stored_until is None or min(r[CREATED] for r in rows) > stored_until)
        if newest is not None and (ctx.checkpoint.watermark is None or newest > ctx.checkpoint.watermark):
            ctx.checkpoint.watermark = newest
        ctx.page_done(written=len(rows), rejected=page.rejected)
    return newest


def _write(rows: list[Row], fresh: bool) -> None:
    if connection.vendor != "postgresql":
        SignIn.objects.bulk_create(
            [SignIn(**as_dict(row)) for row in rows],
            update_conflicts=True,
            unique_fields=["tenant", "graph_id", "created"],
            update_fields=_UPDATE_FIELDS,
        )
        return
    if fresh:
        try:
            # A savepoint: another sync of the same tenant may have stored some meanwhile.
            with transaction.atomic():
                _copy(rows)
            return
        except UniqueViolation:  # raised by psycopg's COPY, which Django does not wrap
            logger.info("page overlapped another writer; upserting it instead")
    _copy_upsert(rows)


def _copy(rows: list[Row]) -> None:
    """Rows known to be new go straight into the partitioned table: COPY is the ceiling."""
    with connection.cursor() as cursor:
        _binary_copy(cursor, "m365admin_signin", rows)


def _copy_upsert(rows: list[Row]) -> None:
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in _CONFLICT)
    with connection.cursor() as cursor:
        # A per-connection scratch table (temporary tables live as long as the connection).
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS signin_stage AS "
            f"SELECT {columns} FROM m365admin_signin WITH NO DATA"
        )
        _binary_copy(cursor, "signin_stage", rows)
        cursor.execute(
            f"INSERT INTO m365admin_signin ({columns}) SELECT {columns} FROM signin_stage "
            f"ON CONFLICT ({', '.join(_CONFLICT)}) DO UPDATE SET {updates}"
        )
        cursor.execute("TRUNCATE signin_stage")


def _binary_copy(cursor, table: str, rows: list[Row]) -> None:
    """COPY in binary format: half the time of text COPY here, client and server together."""
    raw = cursor.cursor
    raw.adapters.register_dumper(None, _InetFromText)
    raw.adapters.register_dumper(None, _JsonbFromText)
    types = _column_types(raw)  # before the COPY starts: the connection is busy during it
    encode = msgspec.json.encode
    after = JSON_INDEX + 1
    with raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            # The JSON column goes as JSON text; the row itself is left as it was.
            copy.write_row([*row[:JSON_INDEX], encode(row[JSON_INDEX]).decode(), *row[after:]])


_types: list[int] = []


def _column_types(raw) -> list[int]:
    """The sign-in columns' type OIDs, in COLUMNS order (built-in types: fixed per server)."""
    if not _types:
        raw.execute(
            "SELECT attname, atttypid FROM pg_attribute "
            "WHERE attrelid = 'm365admin_signin'::regclass AND attnum > 0 AND NOT attisdropped"
        )
        oids = dict(raw.fetchall())
        _types.extend(int(oids[column]) for column in COLUMNS)
    return _types


class _InetFromText(Dumper):
    """inet's binary form straight from the address text RowMapper validated.

    psycopg's own inet dumper wants ipaddress objects, which cost more to build than the
    whole binary COPY saves.
    """

    format = Format.BINARY
    oid = postgres.types["inet"].oid

    def dump(self, obj: str) -> bytes:
        # family (PGSQL_AF_INET 2 / PGSQL_AF_INET6 3), prefix bits, is_cidr, address length
        if ":" in obj:
            return b"\x03\x80\x00\x10" + socket.inet_pton(socket.AF_INET6, obj)
        return b"\x02\x20\x00\x04" + socket.inet_pton(socket.AF_INET, obj)


class _JsonbFromText(Dumper):
    """jsonb's binary form (format version 1, then the text) from JSON we encoded already."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()
