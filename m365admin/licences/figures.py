"""Per tenant and SKU: seats purchased, assigned and available, whether unassigned seats are
spend, seats held by disabled or inactive accounts, and what each costs a month. One function
feeds the dashboard tiles, the licences page, its CSV and the API, so they cannot disagree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Min, Q
from django.db.models.functions import Lower

from m365admin.choices import LicenceKind, SubscriptionStatus
from m365admin.licences.names import named_free, product_name
from m365admin.models import LicenceIdle, SubscribedSku, Subscription, Tenant
from m365admin.models.licences import INACTIVE_DAYS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Free and self-service SKUs come with 10,000 or more units (docs/graph-contract.md §9).
FREE_UNITS = 10_000


@dataclass(slots=True)
class SkuFigures:
    """One SKU of one tenant, as plain values (600 of them are built per page view: model
    instances cost more than the rest of the report)."""

    tenant_id: int
    tenant_name: str
    tenant_code: uuid.UUID
    sku_id: str
    sku_part_number: str
    # Graph's capabilityStatus (Enabled, Warning, Suspended, LockedOut).
    state: str
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
    # Derived once here: the page, its totals and its sorting read each several times.
    is_paid: bool = field(init=False)
    # Negative when more seats are assigned than purchased.
    available: int = field(init=False)
    over_assigned: bool = field(init=False)
    # Paid seats nobody holds: free and trial SKUs never count.
    unused: int = field(init=False)
    # Paid seats unassigned, on disabled and on inactive accounts (disjoint sets).
    wasted: int = field(init=False)
    monthly_waste: Decimal | None = field(init=False)

    def __post_init__(self) -> None:
        self.is_paid = self.kind == LicenceKind.PAID
        self.available = self.purchased - self.assigned
        self.over_assigned = self.available < 0
        self.unused = max(0, self.available) if self.is_paid else 0
        self.wasted = self.unused + self.disabled + (self.inactive or 0) if self.is_paid else 0
        self.monthly_waste = self._cost(self.wasted)

    @property
    def key(self) -> tuple[int, str]:
        """(tenant id, SKU id in lower case): how held licences and the rollup name it."""
        return self.tenant_id, self.sku_id.lower()

    @property
    def kind_label(self) -> StrOrPromise:
        return LicenceKind(self.kind).label

    def _cost(self, seats: int | None) -> Decimal | None:
        """Only paid SKUs with a price cost anything; nothing is invented."""
        if self.monthly_price is None or not self.is_paid:
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


def amount_text(amount: Decimal | None) -> str | None:
    """"23.00": decimal text for the CSV and the API (a JSON float would round prices)."""
    return None if amount is None else f"{amount:.2f}"


def money(amount: Decimal | None, currency: str) -> str:
    """"23.00 EUR", or "—" without a price (formatted here: a template include per cell costs
    more than the rest of a 600-row table)."""
    return "—" if amount is None else f"{amount_text(amount)} {currency}"


def costs_text(cost: dict[str, Decimal], separator: str = " + ") -> str:
    """"120.00 EUR + 30.00 USD" (amounts per currency, never summed), "" without any."""
    return separator.join(money(amount, currency) for currency, amount in sorted(cost.items()))


def kind_of(name: str, purchased: int, monthly_price: Decimal | None, trial: bool) -> str:
    if named_free(name) or (purchased >= FREE_UNITS and monthly_price is None):
        return LicenceKind.FREE
    return LicenceKind.TRIAL if trial else LicenceKind.PAID


def sku_figures(tenant: Tenant | None = None, inactive_days: int | None = 30
                ) -> list[SkuFigures]:
    """Every synced SKU (of `tenant`, or of every tenant), in four queries; in two without
    the seats on disabled and inactive accounts (`inactive_days=None`: the dashboard tiles).
    Rows are read as tuples and subscriptions summed in SQL, per (tenant, SKU)."""
    if inactive_days is not None and inactive_days not in INACTIVE_DAYS:
        raise ValueError(f"inactive_days must be one of {INACTIVE_DAYS}")
    scope = {"tenant": tenant} if tenant is not None else {}
    idle, blind = {}, set()
    if inactive_days is not None:
        idle = {(tenant_id, sku_id): (disabled, inactive)
                for tenant_id, sku_id, disabled, inactive in LicenceIdle.objects.filter(
                    **scope).values_list("tenant_id", "sku_id", "disabled",
                                         f"inactive_{inactive_days}")}
        blind = set(Tenant.objects.without_sign_in_logs().values_list("pk", flat=True))
    # (tenant, SKU) -> (live subscriptions, trials among them, earliest lifecycle date)
    subscriptions = {
        (tenant_id, sku_id): (live, trials, renewal)
        for tenant_id, sku_id, live, trials, renewal in (
            Subscription.objects.filter(**scope).exclude(status=SubscriptionStatus.DELETED)
            .values_list("tenant_id", Lower("sku_id"))
            .annotate(live=Count("pk"), trials=Count("pk", filter=Q(is_trial=True)),
                      renewal=Min("next_lifecycle"))
            .order_by()
        )
    }
    figures = []
    for (tenant_id, tenant_name, tenant_code, sku_id, part_number, state, enabled, warning,
         consumed, name_override, price, currency) in (
            # The names with_product() annotates, which the mypy plugin cannot see.
            SubscribedSku.objects.filter(**scope).with_product().values_list(  # type: ignore[misc]
                "tenant_id", "tenant__name", "tenant__code", "sku_id", "sku_part_number",
                "capability_status", "prepaid_enabled", "prepaid_warning", "consumed_units",
                "name_override", "monthly_price", "currency")):
        key = (tenant_id, sku_id.lower())
        name = product_name(sku_id, part_number, name_override or "")
        purchased = enabled + warning
        live, trials, renewal = subscriptions.get(key, (0, 0, None))
        disabled, inactive = idle.get(key, (0, 0))
        figures.append(SkuFigures(
            tenant_id=tenant_id, tenant_name=tenant_name, tenant_code=tenant_code,
            sku_id=sku_id, sku_part_number=part_number, state=state, product_name=name,
            kind=kind_of(name, purchased, price, live > 0 and trials == live),
            purchased=purchased, assigned=consumed, monthly_price=price,
            currency=currency or "", renewal=renewal, disabled=disabled,
            inactive=None if tenant_id in blind or inactive_days is None else inactive,
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

    @property
    def cost_text(self) -> str:
        return costs_text(self.cost)

    def add(self, sku: SkuFigures) -> None:
        if not sku.is_paid:
            return
        self.unused += sku.unused
        self.disabled += sku.disabled
        self.inactive += sku.inactive or 0
        if sku.monthly_waste is not None:
            self.cost[sku.currency] = self.cost.get(sku.currency, Decimal(0)) + sku.monthly_waste


@dataclass
class ProductFigures:
    """One product summed over the tenants that have it: an MSP's row per product."""

    sku_id: str
    product_name: str
    tenants: int = 0
    purchased: int = 0
    assigned: int = 0
    # Tenants that assigned more seats than they bought.
    over_assigned: int = 0
    renewal: datetime | None = None
    kinds: set[str] = field(default_factory=set)
    waste: WasteTotals = field(default_factory=WasteTotals)

    @property
    def available(self) -> int:
        return self.purchased - self.assigned

    @property
    def kind_label(self) -> StrOrPromise:
        """"Free" or "Trial" when every tenant has it so; "" when some pay for it."""
        if len(self.kinds) == 1 and LicenceKind.PAID not in self.kinds:
            return LicenceKind(next(iter(self.kinds))).label
        return ""

    @property
    def monthly_waste(self) -> Decimal | None:
        """The sort key of the waste column: one currency is the rule, so the amounts' sum."""
        return sum(self.waste.cost.values(), Decimal(0)) if self.waste.cost else None

    def add(self, sku: SkuFigures) -> None:
        self.tenants += 1
        self.purchased += sku.purchased
        self.assigned += sku.assigned
        self.over_assigned += sku.over_assigned
        if sku.renewal is not None and (self.renewal is None or sku.renewal < self.renewal):
            self.renewal = sku.renewal
        self.kinds.add(sku.kind)
        self.waste.add(sku)


def per_product(figures: list[SkuFigures]) -> list[ProductFigures]:
    """The per-tenant figures summed per product (the same rows: they cannot disagree), by
    product name."""
    products: dict[str, ProductFigures] = {}
    for sku in figures:
        key = sku.sku_id.lower()
        if key not in products:
            products[key] = ProductFigures(key, sku.product_name)
        products[key].add(sku)
    return sorted(products.values(), key=lambda p: p.product_name.lower())


def waste_totals(figures: list[SkuFigures]) -> tuple[WasteTotals, dict[int, WasteTotals]]:
    """Across tenants, and per tenant id."""
    overall, per_tenant = WasteTotals(), dict[int, WasteTotals]()
    for sku in figures:
        overall.add(sku)
        per_tenant.setdefault(sku.tenant_id, WasteTotals()).add(sku)
    return overall, per_tenant
