"""Sign-in logs: the largest table, range-partitioned by month on PostgreSQL.

On PostgreSQL the table is created by raw SQL in the migration (PARTITION BY RANGE (created),
primary key (id, created)); Django sees `id` as the primary key, which stays unique through
the identity sequence. See m365admin/partitions.py for partition maintenance.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from m365admin.choices import RiskLevel, RiskState, graph_words
from m365admin.lib import aadsts
from m365admin.models.tenants import Tenant

# Graph reports success as errorCode 0 (CONTRACT 2.3).
SUCCESS_CODE = 0
# What the dashboard counts as a risky sign-in (the hourly rollups and the explorer's filter).
RISKY = Q(risk_level_during_sign_in__in=[RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]) | Q(
    risk_state__in=[RiskState.AT_RISK, RiskState.CONFIRMED_COMPROMISED]
)


class SignInQuerySet(models.QuerySet["SignIn"]):
    def between(self, start: datetime, end: datetime) -> SignInQuerySet:
        """Always bound the time range, so PostgreSQL prunes partitions."""
        return self.filter(created__gte=start, created__lt=end)

    def older_than(self, created: datetime, pk: int) -> SignInQuerySet:
        """The rows after (created, pk) in newest-first order: the next keyset page."""
        # `created <= …` alone is a plain index range PostgreSQL can seek on; the OR then
        # only sorts out the rows that share the boundary instant.
        return self.filter(created__lte=created).filter(Q(created__lt=created) | Q(pk__lt=pk))

    def failed(self) -> SignInQuerySet:
        return self.exclude(error_code=SUCCESS_CODE)

    def succeeded(self) -> SignInQuerySet:
        return self.filter(error_code=SUCCESS_CODE)

    def risky(self) -> SignInQuerySet:
        return self.filter(RISKY)


class SignIn(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.DB_CASCADE, verbose_name=_("tenant"))
    graph_id = models.CharField(_("Graph ID"), max_length=64)
    created = models.DateTimeField(_("time"))
    user_graph_id = models.CharField(_("user ID"), max_length=64, blank=True)
    user_principal_name = models.CharField(_("user principal name"), max_length=320, blank=True)
    user_display_name = models.CharField(_("user"), max_length=256, blank=True)
    app_id = models.CharField(_("application ID"), max_length=64, blank=True)
    app_display_name = models.CharField(_("application"), max_length=256, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    client_app_used = models.CharField(_("client app"), max_length=64, blank=True)
    is_interactive = models.BooleanField(_("interactive"), null=True)
    error_code = models.IntegerField(_("error code"), default=SUCCESS_CODE)
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    conditional_access_status = models.CharField(_("conditional access"), max_length=32, blank=True)
    authentication_requirement = models.CharField(_("authentication required"), max_length=64, blank=True)
    risk_detail = models.CharField(_("risk detail"), max_length=64, blank=True)
    risk_level_aggregated = models.CharField(_("aggregated risk"), max_length=16, blank=True)
    risk_level_during_sign_in = models.CharField(_("risk during sign-in"), max_length=16, blank=True)
    risk_state = models.CharField(_("risk state"), max_length=32, blank=True)
    risk_event_types = models.JSONField(_("risk events"), default=list, blank=True)
    country = models.CharField(_("country"), max_length=8, blank=True)
    state = models.CharField(_("state"), max_length=128, blank=True)
    city = models.CharField(_("city"), max_length=128, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    operating_system = models.CharField(_("operating system"), max_length=128, blank=True)
    browser = models.CharField(_("browser"), max_length=128, blank=True)
    device_compliant = models.BooleanField(_("compliant device"), null=True)
    device_managed = models.BooleanField(_("managed device"), null=True)
    resource_display_name = models.CharField(_("resource"), max_length=256, blank=True)
    correlation_id = models.CharField(_("correlation ID"), max_length=64, blank=True)

    objects = SignInQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        constraints = [
            # The idempotent upsert's conflict target; on PostgreSQL it includes the
            # partition key, as every unique index on a partitioned table must.
            models.UniqueConstraint(
                fields=["tenant", "graph_id", "created"], name="signin_unique_event"
            ),
        ]
        indexes = [
            # A tenant's sign-ins newest first (list, cursor pagination, time-bounded counts).
            models.Index(fields=["tenant", "-created", "-id"], name="signin_tenant_recent"),
            # Every tenant's sign-ins newest first (the cross-tenant API list and the admin).
            models.Index(fields=["-created", "-id"], name="signin_recent"),
            # One user's timeline within a time range (user page, per-user detections).
            models.Index(fields=["tenant", "user_graph_id", "created"], name="signin_tenant_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_principal_name} {self.created:%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return self.is_success(self.error_code)

    @staticmethod
    def is_success(error_code: int) -> bool:
        return error_code == SUCCESS_CODE

    @property
    def error(self) -> aadsts.ErrorCode:
        """The error code with its meaning and documentation link."""
        return aadsts.describe(self.error_code)

    @property
    def risk_level_label(self) -> str:
        """The risk during sign-in in words; empty when there was none to report."""
        return _choice_label(RiskLevel, self.risk_level_during_sign_in, RiskLevel.NONE)

    @property
    def risk_state_label(self) -> str:
        return _choice_label(RiskState, self.risk_state, RiskState.NONE)


def _choice_label(choices: type[models.TextChoices], value: str, nothing: str) -> str:
    """The translated label of a Graph value, "" for `nothing` or blank."""
    return "" if value == nothing else graph_words(choices, value)
