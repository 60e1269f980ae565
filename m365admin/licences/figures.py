"""Per tenant and SKU: seats purchased, assigned and available, whether unassigned seats are
spend, seats held by disabled or inactive accounts, and what each costs a month. One function
feeds the dashboard tiles, the licences page, its CSV and the API, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from m365admin.choices import LicenceKind, SubscriptionStatus
from m365admin.licences.names import named_free
from m365admin.models import LicenceIdle, SubscribedSku, Subscription, Tenant
from m365admin.models.licences import INACTIVE_DAYS

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
    # Seats held by disabled accounts, and by enabled ones inactive for the chosen days (None:
    # the tenant's sign-in activity is unknown, it needs Entra ID P1).
    disabled: int = 0
    inactive: int | None = 0

    @property
    def tenant(self) -> Tenant:
        return self.sku.tenant

    @property
    def tenant_name(self) -> str:
        return self.sku.tenant.name

    @property
    def kind_label(self) -> str:
        return LicenceKind(self.kind).label

    @property
    def is_paid(self) -> bool:
        return self.kind == LicenceKind.PAID

    @property
    def state(self) -> str:
        """Graph's capabilityStatus (Enabled, Warning, Suspended, LockedOut)."""
        return self.sku.capability_status

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

    def _cost(self, seats: int | None) -> Decimal | None:
        """Only paid SKUs with a price cost anything; nothing is invented."""
        if self.monthly_price is None or self.kind != LicenceKind.PAID:
            return None
        return (seats or 0) * self.monthly_price

    @property
    def unused_cost(self) -> Decimal | None:
        return self._cost(self.unused)

    @property
    def disabled_cost(self) -> Decimal | None:
        return self._cost(self.disabled)

    @property
    def inactive_cost(self) -> Decimal | None:
        return self._cost(self.inactive)

    @property
    def price_text(self) -> str:
        return money(self.monthly_price, self.currency)

    @property
    def waste_text(self) -> str:
        return money(self.monthly_waste, self.currency)

    @property
    def monthly_waste(self) -> Decimal | None:
        """Unassigned seats plus seats on disabled and inactive accounts (disjoint sets)."""
        return self._cost(self.unused + self.disabled + (self.inactive or 0))


def amount_text(amount: Decimal | None) -> str | None:
    """"23.00": decimal text for the CSV and the API (a JSON float would round prices)."""
    return None if amount is None else f"{amount:.2f}"


def money(amount: Decimal | None, currency: str) -> str:
    """"23.00 EUR", or "—" without a price (formatted here: a template include per cell costs
    more than the rest of a 600-row table)."""
    return "—" if amount is None else f"{amount_text(amount)} {currency}"


def kind_of(name: str, purchased: int, monthly_price: Decimal | None, trial: bool) -> str:
    if named_free(name) or (purchased >= FREE_UNITS and monthly_price is None):
        return LicenceKind.FREE
    return LicenceKind.TRIAL if trial else LicenceKind.PAID


def sku_figures(tenant: Tenant | None = None, inactive_days: int | None = 30
                ) -> list[SkuFigures]:
    """Every synced SKU (of `tenant`, or of every tenant), in four queries; in two without
    the seats on disabled and inactive accounts (`inactive_days=None`: the dashboard tiles)."""
    if inactive_days is not None and inactive_days not in INACTIVE_DAYS:
        raise ValueError(f"inactive_days must be one of {INACTIVE_DAYS}")
    scope = {"tenant": tenant} if tenant is not None else {}
    idle, blind = {}, set()
    if inactive_days is not None:
        idle = {(row.tenant_id, row.sku_id): row
                for row in LicenceIdle.objects.filter(**scope).defer("synced")}
        blind = set(Tenant.objects.without_sign_in_logs().values_list("pk", flat=True))
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
    skus = SubscribedSku.objects.filter(**scope).defer("service_plans", "synced")
    for sku in skus.with_product().select_related("tenant"):
        key = (sku.tenant_id, sku.sku_id.lower())
        name = sku.product_name
        purchased = sku.prepaid_enabled + sku.prepaid_warning
        held = idle.get(key)
        figures.append(SkuFigures(
            sku=sku, product_name=name,
            kind=kind_of(name, purchased, sku.monthly_price, all(trials.get(key) or [False])),
            purchased=purchased, assigned=sku.consumed_units, monthly_price=sku.monthly_price,
            currency=sku.currency or "", renewal=renewals.get(key),
            disabled=held.disabled if held else 0,
            inactive=None if sku.tenant_id in blind or inactive_days is None else (
                held.inactive(inactive_days) if held else 0),
        ))
    return figures


@dataclass
class WasteTotals:
    """Paid seats going to waste, and their monthly cost per currency (never summed across
    currencies; SKUs without a price add seats but no cost)."""

    unused: int = 0
    disabled: int = 0
    inactive: int = 0
    # currency -> monthly cost of the three
    cost: dict[str, Decimal] = field(default_factory=dict)

    def add(self, sku: SkuFigures) -> None:
        if sku.kind != LicenceKind.PAID:
            return
        self.unused += sku.unused
        self.disabled += sku.disabled
        self.inactive += sku.inactive or 0
        if sku.monthly_waste is not None:
            self.cost[sku.currency] = self.cost.get(sku.currency, Decimal(0)) + sku.monthly_waste


def waste_totals(figures: list[SkuFigures]) -> tuple[WasteTotals, dict[int, WasteTotals]]:
    """Across tenants, and per tenant id."""
    overall, per_tenant = WasteTotals(), {}
    for sku in figures:
        overall.add(sku)
        per_tenant.setdefault(sku.sku.tenant_id, WasteTotals()).add(sku)
    return overall, per_tenant
