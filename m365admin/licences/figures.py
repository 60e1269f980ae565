"""Per tenant and SKU: seats purchased, assigned and available, whether unassigned seats are
spend, and what they cost. One function feeds the dashboard tiles, the licences page and the
API, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from m365admin.choices import LicenceKind, SubscriptionStatus
from m365admin.licences.names import named_free
from m365admin.models import SubscribedSku, Subscription, Tenant

# Free and self-service SKUs come with 10,000 or more units (docs/graph-contract.md §9).
FREE_UNITS = 10_000


@dataclass
class SkuFigures:
    sku: SubscribedSku
    product_name: str
    kind: str
    # Enabled units plus those in their grace period after expiry (Warning): users still
    # have them, so they are neither over-assigned nor waste yet.
    purchased: int
    assigned: int
    monthly_price: Decimal | None
    currency: str
    # The earliest lifecycle date (renewal or expiry) of the SKU's live subscriptions.
    renewal: datetime | None

    @property
    def tenant(self) -> Tenant:
        return self.sku.tenant

    @property
    def available(self) -> int:
        """Negative when more seats are assigned than purchased."""
        return self.purchased - self.assigned

    @property
    def over_assigned(self) -> bool:
        return self.assigned > self.purchased

    @property
    def unused(self) -> int:
        """Paid seats nobody holds: free and trial SKUs never count."""
        return max(0, self.available) if self.kind == LicenceKind.PAID else 0

    @property
    def unused_cost(self) -> Decimal | None:
        return None if self.monthly_price is None else self.unused * self.monthly_price


def kind_of(name: str, purchased: int, monthly_price: Decimal | None, trial: bool) -> str:
    if named_free(name) or (purchased >= FREE_UNITS and monthly_price is None):
        return LicenceKind.FREE
    return LicenceKind.TRIAL if trial else LicenceKind.PAID


def sku_figures(tenant: Tenant | None = None) -> list[SkuFigures]:
    """Every synced SKU (of `tenant`, or of every tenant), in two queries."""
    scope = {"tenant": tenant} if tenant is not None else {}
    # (tenant, SKU) -> [is_trial of each live subscription], earliest lifecycle date
    trials: dict[tuple[int, str], list[bool]] = {}
    renewals: dict[tuple[int, str], datetime] = {}
    live = Subscription.objects.filter(**scope).exclude(status=SubscriptionStatus.DELETED)
    for tenant_id, sku_id, trial, renewal in live.values_list(
            "tenant_id", "sku_id", "is_trial", "next_lifecycle"):
        key = (tenant_id, sku_id.lower())
        trials.setdefault(key, []).append(trial)
        if renewal is not None and (key not in renewals or renewal < renewals[key]):
            renewals[key] = renewal
    figures = []
    for sku in SubscribedSku.objects.filter(**scope).with_product().select_related("tenant"):
        key = (sku.tenant_id, sku.sku_id.lower())
        name = sku.product_name
        purchased = sku.prepaid_enabled + sku.prepaid_warning
        figures.append(SkuFigures(
            sku=sku, product_name=name,
            kind=kind_of(name, purchased, sku.monthly_price, all(trials.get(key) or [False])),
            purchased=purchased, assigned=sku.consumed_units, monthly_price=sku.monthly_price,
            currency=sku.currency or "", renewal=renewals.get(key),
        ))
    return figures
