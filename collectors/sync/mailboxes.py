"""Mailbox usage (getMailboxUsageDetail, CONTRACT 2.4)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from collectors.sync.base import Needs, SyncContext
from collectors.sync.parse import parse_bool, parse_date, parse_int, text
from collectors.sync.reports import PERIOD, Row, report_fields, sync_report
from m365admin.models import Mailbox

NEEDS = Needs(
    probe=f"/v1.0/reports/getMailboxUsageDetail(period='{PERIOD}')",
    permissions=("Reports.Read.All",),
    why=_("Mailbox sizes and quotas (usage report)"),
)


def sync(ctx: SyncContext) -> None:
    sync_report(ctx, "getMailboxUsageDetail", Mailbox, ["tenant", "user_principal_name"], to_model)


def to_model(ctx: SyncContext, row: Row, now: datetime) -> Mailbox | None:
    upn = (row.get("User Principal Name") or "").strip()
    if not upn:
        return None
    return Mailbox(
        tenant=ctx.tenant,
        synced=now,
        user_principal_name=text(upn, 320),
        display_name=text(row.get("Display Name"), 256),
        deleted_date=parse_date(row.get("Deleted Date")),
        created_date=parse_date(row.get("Created Date")),
        item_count=parse_int(row.get("Item Count")) or 0,
        issue_warning_quota_bytes=parse_int(row.get("Issue Warning Quota (Byte)")),
        prohibit_send_quota_bytes=parse_int(row.get("Prohibit Send Quota (Byte)")),
        prohibit_send_receive_quota_bytes=parse_int(row.get("Prohibit Send/Receive Quota (Byte)")),
        deleted_item_count=parse_int(row.get("Deleted Item Count")) or 0,
        deleted_item_size_bytes=parse_int(row.get("Deleted Item Size (Byte)")) or 0,
        has_archive=parse_bool(row.get("Has Archive")) or False,
        **report_fields(row),
    )
