"""What an Administrator says about a licence (name, price), and the subscriptions behind it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol, Self, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import TROUBLED_SUBSCRIPTION, SubscriptionStatus
from m365admin.licences.names import product_name
from m365admin.models.tenants import TenantOwned

# Days without a sign-in after which a licensed account counts as inactive (licences page).
INACTIVE_DAYS = (14, 30, 60, 90)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# A lifecycle date (renewal, expiry) this close is flagged on the licences page and alerts.
RENEWAL_NOTICE_DAYS = 30


class ProductNamed:
    """A row naming a SKU (`sku_id`, `sku_part_number`) shows its product name."""

    # The model's fields (declared by each model using this mixin).
    sku_id: str
    sku_part_number: str

    @property
    def product_name(self) -> str:
        """Honours an Administrator's name when read through `with_product()`."""
        return product_name(self.sku_id, self.sku_part_number,
                            getattr(self, "name_override", "") or "")

    # The admin's column heading (mypy takes the property for its getter function).
    product_name.fget.short_description = _("product")  # type: ignore[attr-defined]


class _NamesSku(Protocol):
    """What `LicenceProduct.note_seen` reads of a SKU."""

    @property
    def sku_id(self) -> str: ...

    @property
    def sku_part_number(self) -> str: ...


_Named = TypeVar("_Named", bound=models.Model, covariant=True)


class ProductQuerySet(models.QuerySet[_Named]):
    def with_product(self) -> Self:
        """Annotate the SKU's LicenceProduct settings in the same query: `name_override`,
        `monthly_price`, `currency` (None when nobody set them)."""
        product = LicenceProduct.objects.filter(sku_id=OuterRef("sku_id"))
        return self.annotate(**{
            annotation: Subquery(product.values(field)[:1])
            for annotation, field in (("name_override", "name"),
                                      ("monthly_price", "monthly_price"),
                                      ("currency", "currency"))
        })


class LicenceProduct(models.Model):
    """One SKU across all tenants: an Administrator's name for it and its monthly price per
    seat. Both start empty: the published name is shown, and no cost is invented."""

    sku_id = models.CharField(_("SKU ID"), max_length=36, unique=True)
    sku_part_number = models.CharField(_("SKU part number"), max_length=128, blank=True)
    name = models.CharField(
        _("name"), max_length=256, blank=True,
        help_text=_("Leave blank to show Microsoft's published product name."),
    )
    monthly_price = models.DecimalField(
        _("monthly price per seat"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("ISO 4217 code, e.g. EUR, USD, JPY."),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["sku_part_number", "sku_id"]
        verbose_name = _("licence product")
        verbose_name_plural = _("licence products")

    def __str__(self) -> str:
        return self.product_name

    @property
    def product_name(self) -> str:
        return product_name(self.sku_id, self.sku_part_number, self.name)

    product_name.fget.short_description = _("product")  # type: ignore[attr-defined]

    def clean(self) -> None:
        self.sku_id = self.sku_id.strip().lower()
        self.currency = self.currency.strip().upper()
        if self.monthly_price is not None and not _CURRENCY.match(self.currency):
            raise ValidationError({"currency": _("A price needs its currency: three letters.")})
        if self.monthly_price is None and self.currency:
            raise ValidationError({"monthly_price": _("A currency needs a price.")})

    @classmethod
    def note_seen(cls, skus: Iterable[_NamesSku]) -> None:
        """List every SKU a tenant has in the admin, so an Administrator can name and price it
        (rows already there, and their settings, are left alone)."""
        cls.objects.bulk_create(
            [cls(sku_id=sku.sku_id.lower(),  # type: ignore[misc]  # django-stubs#3401: not Self
                 sku_part_number=sku.sku_part_number) for sku in skus],
            ignore_conflicts=True,
        )


class Subscription(ProductNamed, TenantOwned):
    """A commercial subscription (companySubscription): what renews, when, and whether it is a
    trial (docs/graph-contract.md §9)."""

    graph_id = models.CharField(_("Graph ID"), max_length=64)
    sku_id = models.CharField(_("SKU ID"), max_length=36)
    sku_part_number = models.CharField(_("SKU part number"), max_length=128, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=SubscriptionStatus.choices,
                              blank=True)
    total_licenses = models.IntegerField(_("total licences"), default=0)
    is_trial = models.BooleanField(_("trial"), default=False)
    created_in_graph = models.DateTimeField(_("created in Microsoft 365"), null=True, blank=True)
    next_lifecycle = models.DateTimeField(_("next lifecycle date"), null=True, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "next_lifecycle", "sku_part_number"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "graph_id"],
                                    name="subscription_unique_id"),
        ]
        indexes = [
            # The default ordering: a tenant's renewals, soonest first.
            models.Index(fields=["tenant", "next_lifecycle"], name="subscription_renewal"),
        ]

    def __str__(self) -> str:
        return self.product_name

    def needs_attention(self, now: datetime) -> bool:
        """In a state that stops or will stop service, or at most RENEWAL_NOTICE_DAYS from its
        next lifecycle date (renewal or expiry): an administrator must act."""
        if self.status in TROUBLED_SUBSCRIPTION:
            return True
        return (self.status != SubscriptionStatus.DELETED and self.next_lifecycle is not None
                and self.next_lifecycle <= now + timedelta(days=RENEWAL_NOTICE_DAYS))


class HeldLicence(TenantOwned):
    """One SKU one account holds: `assigned_licenses` as rows, so the reclaim list can ask for
    accounts holding a paid SKU in SQL. Rebuilt with LicenceIdle (licences.activity)."""

    user = models.ForeignKey("m365admin.DirectoryUser", on_delete=models.DB_CASCADE,
                             verbose_name=_("user"), related_name="held_licences")
    sku_id = models.CharField(_("SKU ID"), max_length=36)

    class Meta:
        ordering = ["tenant", "sku_id"]
        verbose_name = _("held licence")
        verbose_name_plural = _("held licences")
        indexes = [
            # "Does this account hold one of these SKUs?" (the reclaim list's EXISTS).
            models.Index(fields=["user", "sku_id"], name="heldlicence_user_sku"),
            # Rebuilding a tenant's rows.
            models.Index(fields=["tenant", "sku_id"], name="heldlicence_tenant_sku"),
        ]

    def __str__(self) -> str:
        return self.sku_id


class LicenceIdle(TenantOwned):
    """Per tenant and SKU: seats held by disabled accounts, and by enabled accounts without a
    sign-in for 14/30/60/90 days. A rollup rebuilt after the directory and sign-in syncs; the
    inactive counts stay 0 where the tenant's sign-in activity is unknown (no Entra ID P1)."""

    sku_id = models.CharField(_("SKU ID"), max_length=36)
    disabled = models.IntegerField(_("on disabled accounts"), default=0)
    inactive_14 = models.IntegerField(_("inactive 14 days"), default=0)
    inactive_30 = models.IntegerField(_("inactive 30 days"), default=0)
    inactive_60 = models.IntegerField(_("inactive 60 days"), default=0)
    inactive_90 = models.IntegerField(_("inactive 90 days"), default=0)

    class Meta:
        ordering = ["tenant", "sku_id"]
        verbose_name = _("idle licence count")
        verbose_name_plural = _("idle licence counts")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku_id"], name="licenceidle_unique_sku"),
        ]

    def __str__(self) -> str:
        return self.sku_id

    def inactive(self, days: int) -> int:
        count: int = getattr(self, f"inactive_{days}")
        return count
