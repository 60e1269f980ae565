"""Workloads: mailboxes, OneDrive accounts (from the usage reports) and Teams."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from m365admin.models.tenants import TenantOwned


class ReportRow(TenantOwned):
    """Fields every usage-report row carries (CONTRACT 2.4, 2.5)."""

    report_refresh_date = models.DateField(_("report refresh date"), null=True, blank=True)
    report_period = models.PositiveSmallIntegerField(_("report period (days)"), null=True)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    last_activity_date = models.DateField(_("last activity"), null=True, blank=True)
    storage_used_bytes = models.BigIntegerField(_("storage used (bytes)"), default=0)

    class Meta:
        abstract = True


class Mailbox(ReportRow):
    # Reports may conceal names (tenant report setting): the UPN is then an opaque hash.
    user_principal_name = models.CharField(_("user principal name"), max_length=320)
    display_name = models.CharField(_("display name"), max_length=256, blank=True)
    deleted_date = models.DateField(_("deleted on"), null=True, blank=True)
    created_date = models.DateField(_("created on"), null=True, blank=True)
    item_count = models.BigIntegerField(_("items"), default=0)
    issue_warning_quota_bytes = models.BigIntegerField(_("warning quota (bytes)"), null=True)
    prohibit_send_quota_bytes = models.BigIntegerField(_("prohibit-send quota (bytes)"), null=True)
    prohibit_send_receive_quota_bytes = models.BigIntegerField(
        _("prohibit send/receive quota (bytes)"), null=True
    )
    deleted_item_count = models.BigIntegerField(_("deleted items"), default=0)
    deleted_item_size_bytes = models.BigIntegerField(_("deleted items size (bytes)"), default=0)
    has_archive = models.BooleanField(_("archive"), default=False)

    class Meta:
        ordering = ["tenant", "user_principal_name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user_principal_name"], name="mailbox_unique_upn"),
        ]

    def __str__(self) -> str:
        return self.user_principal_name

    @staticmethod
    def near_quota() -> Q:
        """Mailboxes using QUOTA_WARNING_PERCENT or more of their prohibit-send quota (the
        tenants page's tiles and the posture page)."""
        return Q(prohibit_send_quota_bytes__gt=0, storage_used_bytes__gte=F(
            "prohibit_send_quota_bytes") * (settings.QUOTA_WARNING_PERCENT / 100.0))

    def quota_used_percent(self) -> float | None:
        """Storage used as a share of the prohibit-send quota, the limit users feel first."""
        if not self.prohibit_send_quota_bytes:
            return None
        return 100.0 * self.storage_used_bytes / self.prohibit_send_quota_bytes


class OneDriveAccount(ReportRow):
    site_url = models.CharField(_("site URL"), max_length=500)
    owner_display_name = models.CharField(_("owner"), max_length=256, blank=True)
    owner_principal_name = models.CharField(_("owner principal name"), max_length=320, blank=True)
    file_count = models.BigIntegerField(_("files"), default=0)
    active_file_count = models.BigIntegerField(_("active files"), default=0)
    storage_allocated_bytes = models.BigIntegerField(_("storage allocated (bytes)"), null=True)

    class Meta:
        ordering = ["tenant", "owner_principal_name"]
        verbose_name = _("OneDrive account")
        verbose_name_plural = _("OneDrive accounts")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "site_url"], name="onedrive_unique_site"),
        ]

    def __str__(self) -> str:
        return self.owner_principal_name or self.site_url

    @staticmethod
    def near_quota() -> Q:
        """Accounts using QUOTA_WARNING_PERCENT or more of their allocated storage."""
        return Q(storage_allocated_bytes__gt=0, storage_used_bytes__gte=F(
            "storage_allocated_bytes") * (settings.QUOTA_WARNING_PERCENT / 100.0))

    def quota_used_percent(self) -> float | None:
        if not self.storage_allocated_bytes:
            return None
        return 100.0 * self.storage_used_bytes / self.storage_allocated_bytes


class Team(TenantOwned):
    graph_id = models.CharField(_("Graph ID"), max_length=64)
    display_name = models.CharField(_("name"), max_length=256)
    description = models.TextField(_("description"), blank=True)
    visibility = models.CharField(_("visibility"), max_length=32, blank=True)
    is_archived = models.BooleanField(_("archived"), null=True)
    created_in_graph = models.DateTimeField(_("created in Teams"), null=True, blank=True)
    web_url = models.CharField(_("web URL"), max_length=1000, blank=True)

    class Meta:
        ordering = ["tenant", "display_name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "graph_id"], name="team_unique_id"),
        ]

    def __str__(self) -> str:
        return self.display_name
