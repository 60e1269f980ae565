"""Commercial subscriptions: /directory/subscriptions (docs/graph-contract.md §9). A snapshot,
paged like any directory list; renewal dates and trials for the licences page and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from collectors.sync.base import Needs, SyncContext, sync_snapshot
from collectors.sync.parse import parse_datetime, parse_int, text
from m365admin.models import Subscription

NEEDS = Needs(
    probe="/v1.0/directory/subscriptions?$top=1",
    permissions=("Directory.Read.All",),
    why=_("Subscriptions: renewal and expiry dates, trials"),
)


def sync(ctx: SyncContext) -> None:
    sync_snapshot(ctx, "/v1.0/directory/subscriptions", Subscription, to_model,
                  ["tenant", "graph_id"])


def to_model(ctx: SyncContext, item: dict[str, Any], now: datetime) -> Subscription | None:
    if not item.get("id") or not item.get("skuId"):
        return None
    return Subscription(
        tenant=ctx.tenant,
        synced=now,
        graph_id=text(item["id"], 64),
        sku_id=text(item["skuId"], 36).lower(),
        sku_part_number=text(item.get("skuPartNumber"), 128),
        status=text(item.get("status"), 16),
        total_licenses=parse_int(item.get("totalLicenses")) or 0,
        is_trial=item.get("isTrial") is True,
        created_in_graph=parse_datetime(item.get("createdDateTime")),
        next_lifecycle=parse_datetime(item.get("nextLifecycleDateTime")),
    )
