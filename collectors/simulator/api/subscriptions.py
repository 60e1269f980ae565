"""/directory/subscriptions: the tenant's commercial subscriptions (companySubscription)."""

from __future__ import annotations

from ..wire import SimResponse
from .common import Ctx, page_state, paged_list, unsupported

FIELDS = ["createdDateTime", "commerceSubscriptionId", "id", "isTrial", "nextLifecycleDateTime",
          "serviceStatus", "skuId", "skuPartNumber", "status", "totalLicenses", "ownerId",
          "ownerTenantId", "ownerType"]


def list_subscriptions(ctx: Ctx) -> SimResponse:
    # A directory-object list: 100 a page by default, $top up to 999, $select. Which filters
    # Graph accepts here is not documented, so none is (a client must not rely on one).
    if "$filter" in ctx.query and page_state(ctx, "subscriptions") is None:
        raise unsupported("Unsupported query: $filter on directory/subscriptions.")
    return paged_list(ctx, "subscriptions", ctx.tenant.subscriptions(), FIELDS,
                      ctx.context_url("directory/subscriptions"), 100, 999)
