"""Microsoft 365 usage reports: 302 to a CSV download, parsed by column name (CONTRACT 2.4).

A report is a whole snapshot, so it is written in one transaction, and rows the report no
longer lists are removed in that same transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import models, transaction

from collectors.sync.base import SyncContext, dedupe_by, remove_unseen, upsert
from collectors.sync.parse import parse_bool, parse_date, parse_int

PERIOD = "D7"

Row = dict[str, str]


def sync_report(
    ctx: SyncContext,
    function: str,
    model: type[models.Model],
    unique_fields: list[str],
    to_model: Callable[[SyncContext, Row, datetime], models.Model | None],
) -> None:
    started = datetime.now(UTC)
    ctx.progress.start(None, "rows")
    body = ctx.client.download_report(f"/v1.0/reports/{function}(period='{PERIOD}')")
    rows = list(csv.DictReader(io.StringIO(body)))
    objs = [obj for row in rows if (obj := to_model(ctx, row, started)) is not None]
    # Every row belongs to this tenant: the rest of the unique key tells duplicates apart.
    key_fields = [name for name in unique_fields if name != "tenant"]
    objs = dedupe_by(objs, lambda o: tuple(getattr(o, name) for name in key_fields))
    with transaction.atomic():
        upsert(model, objs, unique_fields)
        removed = remove_unseen(model, ctx.tenant, started)
        ctx.page_done(written=len(objs), removed=removed, rejected=len(rows) - len(objs))
    ctx.progress.advance(len(rows))


def report_fields(row: Row) -> dict[str, object]:
    """The columns every usage report shares."""
    return {
        "report_refresh_date": parse_date(row.get("Report Refresh Date")),
        "report_period": parse_int(row.get("Report Period")),
        "is_deleted": parse_bool(row.get("Is Deleted")) or False,
        "last_activity_date": parse_date(row.get("Last Activity Date")),
        "storage_used_bytes": parse_int(row.get("Storage Used (Byte)")) or 0,
    }
