"""Microsoft 365 service health: overviews and issues (CONTRACT 2.7)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from collectors.sync.base import Needs, SyncContext, remove_unseen, upsert
from collectors.sync.parse import parse_bool, parse_datetime, text
from m365admin.models import ServiceHealth, ServiceHealthIssue

BASE = "/v1.0/admin/serviceAnnouncement"
# Fewer round trips against a limit of 240 requests a minute per tenant.
MAX_PAGE = {"Prefer": "odata.maxpagesize=1000"}


NEEDS = Needs(
    probe=f"{BASE}/healthOverviews?$top=1",
    permissions=("ServiceHealth.Read.All",),
    why=_("Microsoft 365 service health and incidents"),
)


def sync(ctx: SyncContext) -> None:
    started = datetime.now(UTC)
    ctx.progress.start(None, "items")
    for page in ctx.client.iter_pages(f"{BASE}/healthOverviews", headers=MAX_PAGE):
        services = [s for item in page.items if (s := overview(ctx, item, started)) is not None]
        with transaction.atomic():
            upsert(ServiceHealth, services, ["tenant", "service_id"])
            ctx.page_done(written=len(services), rejected=len(page.items) - len(services))
        ctx.progress.advance(len(page.items))
    for page in ctx.client.iter_pages(f"{BASE}/issues", headers=MAX_PAGE):
        issues = [i for item in page.items if (i := issue(ctx, item, started)) is not None]
        with transaction.atomic():
            upsert(ServiceHealthIssue, issues, ["tenant", "issue_id"])
            ctx.page_done(written=len(issues), rejected=len(page.items) - len(issues))
        ctx.progress.advance(len(page.items))
    with transaction.atomic():
        removed = remove_unseen(ServiceHealth, ctx.tenant, started)
        removed += remove_unseen(ServiceHealthIssue, ctx.tenant, started)
        ctx.count_removed(removed)


def overview(ctx: SyncContext, item: dict[str, Any], now: datetime) -> ServiceHealth | None:
    if not item.get("id"):
        return None
    return ServiceHealth(
        tenant=ctx.tenant,
        synced=now,
        service_id=text(item["id"], 64),
        service=text(item.get("service") or item["id"], 128),
        status=text(item.get("status") or "unknownFutureValue", 64),
    )


def issue(ctx: SyncContext, item: dict[str, Any], now: datetime) -> ServiceHealthIssue | None:
    if not item.get("id"):
        return None
    return ServiceHealthIssue(
        tenant=ctx.tenant,
        synced=now,
        issue_id=text(item["id"], 64),
        service=text(item.get("service"), 128),
        title=text(item.get("title"), 500),
        impact_description=text(item.get("impactDescription"), 10_000),
        classification=text(item.get("classification"), 32),
        origin=text(item.get("origin"), 32),
        status=text(item.get("status") or "unknownFutureValue", 64),
        feature=text(item.get("feature"), 200),
        feature_group=text(item.get("featureGroup"), 200),
        is_resolved=parse_bool(item.get("isResolved")) or False,
        start=parse_datetime(item.get("startDateTime")),
        end=parse_datetime(item.get("endDateTime")),
        last_modified=parse_datetime(item.get("lastModifiedDateTime")),
    )
