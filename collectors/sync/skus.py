"""Licences: subscribedSkus (CONTRACT 2.8). Small and unpaged in practice: one snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from collectors.sync.base import Needs, SyncContext, sync_snapshot
from collectors.sync.parse import obj, parse_int, text
from m365admin.models import LicenceProduct, SubscribedSku

NEEDS = Needs(
    probe="/v1.0/subscribedSkus?$select=skuId",
    permissions=("Organization.Read.All",),
    why=_("Licences: seats bought, assigned and available"),
)


def sync(ctx: SyncContext) -> None:
    # No $filter here (unsupported); a nextLink is still followed if one ever appears.
    skus = sync_snapshot(ctx, "/v1.0/subscribedSkus", SubscribedSku, to_model, ["tenant", "sku_id"])
    LicenceProduct.note_seen(skus)


def to_model(ctx: SyncContext, item: dict[str, Any], now: datetime) -> SubscribedSku | None:
    if not item.get("skuId"):
        return None
    prepaid = obj(item.get("prepaidUnits"))
    plans = item.get("servicePlans")
    return SubscribedSku(
        tenant=ctx.tenant,
        synced=now,
        sku_id=text(item["skuId"], 36).lower(),  # matched to LicenceProduct and users by id
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
