"""OneDrive usage (getOneDriveUsageAccountDetail, CONTRACT 2.5)."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from collectors.sync.base import Needs, SyncContext
from collectors.sync.parse import parse_int, text
from collectors.sync.reports import PERIOD, Row, report_fields, sync_report
from m365admin.models import OneDriveAccount

NEEDS = Needs(
    probe=f"/v1.0/reports/getOneDriveUsageAccountDetail(period='{PERIOD}')",
    permissions=("Reports.Read.All",),
    why=_("OneDrive storage per account (usage report)"),
)


def sync(ctx: SyncContext) -> None:
    sync_report(
        ctx, "getOneDriveUsageAccountDetail", OneDriveAccount, ["tenant", "site_url"], to_model
    )


def to_model(ctx: SyncContext, row: Row, now: datetime) -> OneDriveAccount | None:
    site_url = (row.get("Site URL") or "").strip()
    if not site_url:
        return None
    return OneDriveAccount(
        tenant=ctx.tenant,
        synced=now,
        site_url=text(site_url, 500),
        owner_display_name=text(row.get("Owner Display Name"), 256),
        owner_principal_name=text(row.get("Owner Principal Name"), 320),
        file_count=parse_int(row.get("File Count")) or 0,
        active_file_count=parse_int(row.get("Active File Count")) or 0,
        storage_allocated_bytes=parse_int(row.get("Storage Allocated (Byte)")),
        **report_fields(row),
    )
