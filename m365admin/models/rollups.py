"""Hourly sign-in rollups per tenant, so dashboard tiles never aggregate raw sign-ins.

Aggregating days of raw sign-ins costs ~110 ms even index-only at 5 M rows (DESIGN.md); these
rows are rebuilt for the hours a sign-in sync touched (m365admin.rollups) and summed per view.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from m365admin.models.tenants import TenantOwned


class SignInHourlyQuerySet(models.QuerySet["SignInHourly"]):
    def between(self, start: datetime, end: datetime) -> SignInHourlyQuerySet:
        return self.filter(hour__gte=start, hour__lt=end)


class SignInHourly(TenantOwned):
    hour = models.DateTimeField(_("hour"))
    total = models.PositiveIntegerField(_("sign-ins"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # riskLevelDuringSignIn low/medium/high, or riskState atRisk/confirmedCompromised.
    risky = models.PositiveIntegerField(_("risky"), default=0)
    # {country code: sign-ins}; "" for sign-ins without a location.
    countries = models.JSONField(_("countries"), default=dict, blank=True)
    # The explorer's group-by for whole hours (m365admin.signin_groups.ROLLED_UP): per
    # grouping, [[value, …, sign-ins], …]; lists, as an error code must stay a number.
    # A database default too: workers still running the code before this column insert rows
    # during a rolling upgrade.
    groups = models.JSONField(_("groups"), default=dict, db_default={}, blank=True)

    objects = SignInHourlyQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "-hour"]
        verbose_name = _("hourly sign-in rollup")
        verbose_name_plural = _("hourly sign-in rollups")
        constraints = [
            # Also serves a tenant's hours in a range (tiles, charts).
            models.UniqueConstraint(fields=["tenant", "hour"], name="signinhourly_unique_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.hour:%Y-%m-%d %H}:00"
