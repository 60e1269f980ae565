"""Licences: subscribedSkus (CONTRACT 2.8). Small and unpaged in practice: one snapshot."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django.db import transaction

from m365admin.models import LicenceProduct, SubscribedSku

from collectors.sync.base import SyncContext, remove_unseen, upsert
from collectors.sync.parse import obj, parse_int, text


def sync(ctx: SyncContext) -> None:
    started = datetime.now(timezone.utc)
    items: list[dict[str, Any]] = []
    # No $filter here (unsupported); a nextLink is still followed if one ever appears.
    for page in ctx.client.iter_pages("/v1.0/subscribedSkus"):
        items.extend(page.items)
    skus = [sku for item in items if (sku := to_model(ctx, item, started)) is not None]
    with transaction.atomic():
        upsert(SubscribedSku, skus, ["tenant", "sku_id"])
        LicenceProduct.note_seen(skus)
        removed = remove_unseen(SubscribedSku, ctx.tenant, started)
        ctx.page_done(written=len(skus), removed=removed, rejected=len(items) - len(skus))


def to_model(ctx: SyncContext, item: dict[str, Any], now: datetime) -> SubscribedSku | None:
    if not item.get("skuId"):
        return None
    prepaid = obj(item.get("prepaidUnits"))
    plans = item.get("servicePlans")
    return SubscribedSku(
        tenant=ctx.tenant,
        synced=now,
        sku_id=text(item["skuId"], 36),
        sku_part_number=text(item.get("skuPartNumber"), 128),
        applies_to=text(item.get("appliesTo"), 16),
        capability_status=text(item.get("capabilityStatus"), 32),
        consumed_units=parse_int(item.get("consumedUnits")) or 0,
        prepaid_enabled=parse_int(prepaid.get("enabled")) or 0,
        prepaid_suspended=parse_int(prepaid.get("suspended")) or 0,
        prepaid_warning=parse_int(prepaid.get("warning")) or 0,
        prepaid_locked_out=parse_int(prepaid.get("lockedOut")) or 0,
        service_plans=[
            {"servicePlanName": p.get("servicePlanName"), "provisioningStatus": p.get("provisioningStatus")}
            for p in plans if isinstance(p, dict)
        ] if isinstance(plans, list) else [],
    )
