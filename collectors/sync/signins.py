"""Sign-in logs, incrementally by createdDateTime watermark (CONTRACT 2.3).

Each run reads from the watermark minus a small overlap (late arrivals) up to the moment the
run started, oldest first, so after each committed page the watermark is that page's newest
sign-in: a run killed anywhere resumes at the last committed page. Sign-ins at the boundary
come back twice and the upsert on (tenant, graph_id, created) absorbs them.

PostgreSQL gets COPY into a temporary table and one INSERT … ON CONFLICT per page (the bulk
ceiling is COPY itself); SQLite gets Django's bulk upsert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import msgspec
from django.conf import settings
from django.db import connection, transaction

from m365admin import partitions
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
    pages = ctx.client.iter_pages(
        _endpoint(), params=_query(start, run_started), item_type=SignInItem
    )
    # Download, parse and map the next page in a thread while this one is written.
    for mapped in prefetch(map_page(mapper, page.items) for page in pages):
        newest = store_page(ctx, mapped)
        if newest is not None and newest > done:
            ctx.progress.advance((newest - done).total_seconds())
            done = newest
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


def store_page(ctx: SyncContext, page: MappedPage) -> datetime | None:
    """Write one page and move the watermark to its newest sign-in; returns that time."""
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
            _upsert(rows)
        if newest is not None and (ctx.checkpoint.watermark is None or newest > ctx.checkpoint.watermark):
            ctx.checkpoint.watermark = newest
        ctx.page_done(written=len(rows), rejected=page.rejected)
    return newest


def _upsert(rows: list[Row]) -> None:
    if connection.vendor == "postgresql":
        _copy_upsert(rows)
    else:
        SignIn.objects.bulk_create(
            [SignIn(**as_dict(row)) for row in rows],
            update_conflicts=True,
            unique_fields=["tenant", "graph_id", "created"],
            update_fields=_UPDATE_FIELDS,
        )


def _copy_upsert(rows: list[Row]) -> None:
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in _CONFLICT)
    encode = msgspec.json.encode
    with connection.cursor() as cursor:
        # A per-connection scratch table (temporary tables live as long as the connection).
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS signin_stage AS "
            f"SELECT {columns} FROM m365admin_signin WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY signin_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                row[JSON_INDEX] = encode(row[JSON_INDEX]).decode()  # jsonb takes JSON text
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO m365admin_signin ({columns}) SELECT {columns} FROM signin_stage "
            f"ON CONFLICT ({', '.join(_CONFLICT)}) DO UPDATE SET {updates}"
        )
        cursor.execute("TRUNCATE signin_stage")
