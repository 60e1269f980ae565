"""Directory objects: users and the licences (subscribed SKUs) they hold."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from m365admin.choices import SignInSource, UserType
from m365admin.models.licences import ProductNamed, ProductQuerySet
from m365admin.models.tenants import TenantOwned


class DirectoryUser(TenantOwned):
    graph_id = models.CharField(_("Graph ID"), max_length=64)
    user_principal_name = models.CharField(_("user principal name"), max_length=320)
    display_name = models.CharField(_("display name"), max_length=256, blank=True)
    mail = models.CharField(_("mail"), max_length=320, blank=True)
    department = models.CharField(_("department"), max_length=128, blank=True)
    job_title = models.CharField(_("job title"), max_length=128, blank=True)
    account_enabled = models.BooleanField(_("account enabled"), null=True)
    user_type = models.CharField(
        _("user type"), max_length=16, choices=UserType.choices, default=UserType.MEMBER
    )
    created_in_graph = models.DateTimeField(_("created in Entra ID"), null=True, blank=True)
    # [{"skuId": "…", "disabledPlans": ["…"]}] as Graph sends it (includes group-inherited).
    assigned_licenses = models.JSONField(_("assigned licences"), default=list, blank=True)
    is_licensed = models.BooleanField(_("licensed"), default=False)
    last_sign_in = models.DateTimeField(_("last interactive sign-in"), null=True, blank=True)
    last_non_interactive_sign_in = models.DateTimeField(
        _("last non-interactive sign-in"), null=True, blank=True
    )
    last_successful_sign_in = models.DateTimeField(
        _("last successful sign-in"), null=True, blank=True
    )
    # The latest of the two signInActivity times and the newest stored sign-in, and which it
    # was (m365admin.licences.activity), so every page shows the same "last sign-in".
    last_seen = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    last_seen_source = models.CharField(_("last sign-in source"), max_length=16, blank=True,
                                        choices=SignInSource.choices)
    # From delta's @removed: "changed" is soft-deleted (restorable), "deleted" is permanent.
    deleted = models.BooleanField(_("deleted"), default=False)
    deleted_reason = models.CharField(_("deletion"), max_length=16, blank=True)

    class Meta:
        ordering = ["tenant", "user_principal_name"]
        verbose_name = _("directory user")
        verbose_name_plural = _("directory users")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "graph_id"], name="directoryuser_unique_id"),
        ]
        indexes = [
            # The tenant's user list, ordered by UPN, and lookups by UPN.
            models.Index(fields=["tenant", "user_principal_name"], name="directoryuser_upn"),
            # Posture: licensed, enabled accounts by last sign-in (inactive-licence report).
            models.Index(
                fields=["tenant", "last_sign_in"], name="directoryuser_licensed_idle",
                condition=models.Q(is_licensed=True, deleted=False),
            ),
            # The reclaim list's (last_seen NULLS FIRST, id) index is made on PostgreSQL only,
            # by migration 0006: SQLite refuses NULLS FIRST in an index.
        ]

    def __str__(self) -> str:
        return self.user_principal_name

    def sku_ids(self) -> list[str]:
        return [licence.get("skuId", "") for licence in self.assigned_licenses]


class SubscribedSku(ProductNamed, TenantOwned):
    sku_id = models.CharField(_("SKU ID"), max_length=36)
    sku_part_number = models.CharField(_("SKU part number"), max_length=128)
    applies_to = models.CharField(_("applies to"), max_length=16, blank=True)
    capability_status = models.CharField(_("capability status"), max_length=32, blank=True)
    consumed_units = models.IntegerField(_("assigned"), default=0)
    prepaid_enabled = models.IntegerField(_("enabled units"), default=0)
    prepaid_suspended = models.IntegerField(_("suspended units"), default=0)
    prepaid_warning = models.IntegerField(_("warning units"), default=0)
    prepaid_locked_out = models.IntegerField(_("locked-out units"), default=0)
    service_plans = models.JSONField(_("service plans"), default=list, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "sku_part_number"]
        verbose_name = _("subscribed SKU")
        verbose_name_plural = _("subscribed SKUs")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku_id"], name="subscribedsku_unique_sku"),
        ]

    def __str__(self) -> str:
        return self.sku_part_number

    def available_units(self) -> int:
        """Enabled minus assigned; negative when the tenant is over-assigned (CONTRACT 2.8)."""
        return self.prepaid_enabled - self.consumed_units
