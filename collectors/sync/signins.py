"""Sign-in logs in windows of time, correct whatever order Graph serves the pages in (CONTRACT 2.3).

Microsoft's *List signIns* page documents only `$top`, `$skiptoken` and `$filter` and says the
newest sign-ins come first, so nothing here assumes an order. A run reads fixed windows
[start, end] (end no later than the moment the run started; a backfill is cut into windows of
SIGNIN_WINDOW_HOURS): the window and the nextLink of the page to read next are saved with each
committed page, and the durable watermark ("everything created before it is stored") moves to
the window's end only in the transaction of the window's last page. A run killed anywhere
resumes the unfinished window from its saved nextLink, or from the window's start when Graph no
longer accepts the link; the next window starts at the watermark less SIGNIN_OVERLAP_MINUTES
(late arrivals). Re-read sign-ins are absorbed by the upsert on (tenant, graph_id, created).
docs/collectors.md explains the reasoning.

PostgreSQL gets a binary COPY for rows newer than anything the tenant had when the window began
(nothing can exist yet), and a COPY into a temporary table plus one INSERT … ON CONFLICT for the
rest; SQLite gets Django's bulk upsert.
"""

from __future__ import annotations

import itertools
import logging
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Max
from django.utils.translation import gettext_lazy as _
from psycopg import Cursor, postgres
from psycopg.adapt import Dumper
from psycopg.errors import UniqueViolation
from psycopg.pq import Format

from collectors.graph import GraphError
from collectors.graph.client import Page
from collectors.sync.base import (
    ENTRA_ID_P1,
    Needs,
    SyncContext,
    dedupe_by,
    prefetch,
    premium_licence_needed,
)
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
from m365admin import partitions, rollups
from m365admin.models import SignIn
from m365admin.texts import message

logger = logging.getLogger("collectors.sync")

PAGE_SIZE = 1000  # the documented maximum for signIns
_CONFLICT = ("tenant_id", "graph_id", "created")
_UPDATE_FIELDS = [
    f.name for f in SignIn._meta.local_fields if not f.primary_key and f.column not in _CONFLICT
]
# Answers to a saved nextLink that mean "this link is no longer good": read the window again.
_STALE_LINK_STATUSES = frozenset({400, 404, 410})


NEEDS = Needs(
    probe="/v1.0/auditLogs/signIns?$top=1",
    permissions=("AuditLog.Read.All", "Directory.Read.All"),
    why=_("Sign-in logs: the explorer and the threat detections"),
    licence=ENTRA_ID_P1,
)


def sync(ctx: SyncContext) -> None:
    with premium_licence_needed(message("sync.no_premium.signins")):
        _sync(ctx)


def _sync(ctx: SyncContext) -> None:
    run_started = datetime.now(UTC)
    checkpoint = ctx.checkpoint
    if checkpoint.watermark is None:
        start = run_started - timedelta(days=settings.SIGNIN_INITIAL_DAYS)
    else:  # late arrivals: read the last minutes before the watermark again
        start = checkpoint.watermark - timedelta(minutes=settings.SIGNIN_OVERLAP_MINUTES)
    ctx.progress.start(
        max(0.0, (run_started - (checkpoint.window_start or start)).total_seconds()), "s"
    )
    mapper = RowMapper(ctx.tenant.pk, run_started)
    while True:
        if checkpoint.window_end is None:
            _open_window(ctx, start, min(run_started, start + _window_length()))
        window_start, window_end = checkpoint.window_start, checkpoint.window_end
        # For mypy: the window is open now, and reading it to its last page moved the watermark.
        assert window_start is not None and window_end is not None  # noqa: S101
        try:
            _read_window(ctx, mapper)
        finally:
            # Also after a failed page: the hours it stored get their rollups now.
            rollups.refresh_signin_hours(ctx.tenant, window_start, window_end)
        ctx.progress.advance((window_end - window_start).total_seconds())
        assert checkpoint.watermark is not None  # noqa: S101
        if checkpoint.watermark >= run_started:
            return
        start = checkpoint.watermark


def _window_length() -> timedelta:
    return timedelta(hours=settings.SIGNIN_WINDOW_HOURS)


def _open_window(ctx: SyncContext, start: datetime, end: datetime) -> None:
    checkpoint = ctx.checkpoint
    checkpoint.window_start, checkpoint.window_end, checkpoint.next_link = start, end, ""
    checkpoint.save(update_fields=["window_start", "window_end", "next_link", "updated"])


def _read_window(ctx: SyncContext, mapper: RowMapper) -> None:
    """Read the checkpoint's window to its last page, committing page by page."""
    # Rows newer than anything stored when the window began cannot exist yet: COPY them.
    stored_until = SignIn.objects.filter(tenant=ctx.tenant).aggregate(newest=Max("created"))["newest"]
    _store_pages(ctx, mapper, _window_pages(ctx), stored_until)


def _window_pages(ctx: SyncContext) -> Iterator[Page]:
    """The window's pages from the saved nextLink while Graph accepts it, else from its start."""
    checkpoint = ctx.checkpoint
    assert checkpoint.window_start is not None  # noqa: S101 — for mypy: _sync opened the window
    assert checkpoint.window_end is not None  # noqa: S101
    from_start = ctx.client.iter_pages(
        _endpoint(), params=_query(checkpoint.window_start, checkpoint.window_end),
        item_type=SignInItem,
    )
    link = checkpoint.next_link
    if not link or not ctx.on_graph_host(link):
        return from_start
    resumed = ctx.client.iter_pages(link, item_type=SignInItem)
    try:
        first = next(resumed)
    except GraphError as exc:
        if exc.status not in _STALE_LINK_STATUSES:
            raise
        logger.info("tenant=%s collector=signins saved next link refused (%s); reading the "
                    "window from its start", ctx.tenant.tenant_id, exc)
        return from_start
    return itertools.chain([first], resumed)


def _store_pages(
    ctx: SyncContext, mapper: RowMapper, pages: Iterable[Page], stored_until: datetime | None
) -> None:
    previous: set[tuple[str, datetime]] = set()
    # A pipeline of three threads: the next pages download and decode while the one after
    # the current is mapped, while the current one is written.
    for mapped in prefetch(map_page(mapper, page.items, page.next_link) for page in prefetch(pages)):
        # Graph repeats a sign-in at a page boundary: the page before holds it already.
        keys = {(row[GRAPH_ID], row[CREATED]) for row in mapped.rows}
        if previous & keys:
            mapped.rows = [row for row in mapped.rows if (row[GRAPH_ID], row[CREATED]) not in previous]
        previous = keys
        store_page(ctx, mapped, stored_until)


def _endpoint() -> str:
    # beta adds authenticationRequirement (MFA gaps) but is unsupported for production use.
    version = "beta" if settings.GRAPH_SIGNINS_BETA else "v1.0"
    return f"/{version}/auditLogs/signIns"


def _query(start: datetime, end: datetime) -> dict[str, str]:
    return {
        "$filter": f"createdDateTime ge {_iso(start)} and createdDateTime le {_iso(end)}",
        "$top": str(PAGE_SIZE),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class MappedPage:
    rows: list[Row]
    rejected: int
    next_link: str | None = None  # None: the window's last page


def map_page(mapper: RowMapper, items: list[SignInItem], next_link: str | None = None) -> MappedPage:
    rows, rejected = [], 0
    for item in items:
        row = mapper.row(item)
        if row is None:
            rejected += 1
        else:
            rows.append(row)
    return MappedPage(dedupe_by(rows, lambda row: (row[GRAPH_ID], row[CREATED])), rejected, next_link)


def store_page(ctx: SyncContext, page: MappedPage, stored_until: datetime | None) -> None:
    """Write one page, with where to go on, in one transaction; the last page closes the window.

    `stored_until` is the newest sign-in the tenant had when the window began (None: none):
    rows after it cannot be stored yet, so they are copied straight in.
    """
    rows = page.rows
    if page.rejected:
        logger.warning(
            "rejected tenant=%s collector=signins items=%d reason=missing id or createdDateTime "
            "outside the retention window", ctx.tenant.tenant_id, page.rejected,
        )
    partitions.ensure_months({partitions.month_start(row[CREATED]) for row in rows})
    checkpoint = ctx.checkpoint
    with transaction.atomic():
        written = _write(rows, stored_until) if rows else 0
        checkpoint.next_link = page.next_link or ""
        if page.next_link is None:
            assert checkpoint.window_end is not None  # noqa: S101 — for mypy: the window read
            checkpoint.watermark = max(checkpoint.watermark or checkpoint.window_end,
                                       checkpoint.window_end)
            checkpoint.window_start = checkpoint.window_end = None
        ctx.page_done(written=written, rejected=page.rejected)


def _write(rows: list[Row], stored_until: datetime | None) -> int:
    """Store the rows; returns how many were not stored before."""
    if connection.vendor != "postgresql":
        return _bulk_upsert(rows)
    fresh = [row for row in rows if stored_until is None or row[CREATED] > stored_until]
    known = [row for row in rows if stored_until is not None and row[CREATED] <= stored_until]
    written = 0
    if fresh:
        try:
            # A savepoint: another sync of the same tenant may have stored some meanwhile.
            with transaction.atomic():
                _copy(fresh)
            written = len(fresh)
        except UniqueViolation:  # raised by psycopg's COPY, which Django does not wrap
            logger.info("page overlapped another writer; upserting it instead")
            known += fresh
    if known:
        written += _copy_upsert(known)
    return written


def _bulk_upsert(rows: list[Row]) -> int:
    keys = {(row[GRAPH_ID], row[CREATED]) for row in rows}
    existing = SignIn.objects.filter(
        tenant_id=rows[0][COLUMNS.index("tenant_id")], graph_id__in={key[0] for key in keys},
    ).values_list("graph_id", "created")
    before = sum(1 for key in existing if key in keys)
    SignIn.objects.bulk_create(
        [SignIn(**as_dict(row)) for row in rows],
        update_conflicts=True,
        unique_fields=["tenant", "graph_id", "created"],
        update_fields=_UPDATE_FIELDS,
    )
    return len(rows) - before


def _copy(rows: list[Row]) -> None:
    """Rows known to be new go straight into the partitioned table: COPY is the ceiling."""
    with connection.cursor() as cursor:
        _binary_copy(cursor, "m365admin_signin", rows)


def _copy_upsert(rows: list[Row]) -> int:
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in _CONFLICT)
    with connection.cursor() as cursor:
        # A per-connection scratch table (temporary tables live as long as the connection).
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS signin_stage AS "  # noqa: S608 — names from COLUMNS
            f"SELECT {columns} FROM m365admin_signin WITH NO DATA"
        )
        _binary_copy(cursor, "signin_stage", rows)
        cursor.execute(
            "SELECT count(*) FROM signin_stage AS new JOIN m365admin_signin AS old "
            "USING (tenant_id, graph_id, created)"
        )
        existing: int = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO m365admin_signin ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM signin_stage "
            f"ON CONFLICT ({', '.join(_CONFLICT)}) DO UPDATE SET {updates}"
        )
        cursor.execute("TRUNCATE signin_stage")
    return len(rows) - existing


def _binary_copy(cursor: CursorWrapper, table: str, rows: list[Row]) -> None:
    """COPY in binary format: half the time of text COPY here, client and server together."""
    raw: Cursor[tuple[Any, ...]] = cursor.cursor  # psycopg's own, under Django's wrapper
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


def _column_types(raw: Cursor[tuple[Any, ...]]) -> list[int]:
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
