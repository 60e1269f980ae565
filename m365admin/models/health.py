"""Microsoft 365 service health as Graph's service communications API reports it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from m365admin.choices import HEALTH_STATUS_LEVELS, HealthLevel
from m365admin.models.tenants import TenantOwned


def health_level(status: str) -> str:
    """Traffic light for a serviceHealthStatus; unknown and future values read as unknown."""
    return HEALTH_STATUS_LEVELS.get(status.lower(), HealthLevel.UNKNOWN)


class ServiceHealth(TenantOwned):
    service_id = models.CharField(_("service ID"), max_length=64)
    service = models.CharField(_("service"), max_length=128)
    # Kept as Graph sent it (PascalCase in practice): new values must not be lost.
    status = models.CharField(_("status"), max_length=64)

    class Meta:
        ordering = ["tenant", "service"]
        verbose_name = _("service health")
        verbose_name_plural = _("service health")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "service_id"], name="servicehealth_unique_service"),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.status}"

    def level(self) -> str:
        return health_level(self.status)


class ServiceHealthIssue(TenantOwned):
    issue_id = models.CharField(_("issue ID"), max_length=64)
    service = models.CharField(_("service"), max_length=128)
    title = models.CharField(_("title"), max_length=500)
    impact_description = models.TextField(_("impact"), blank=True)
    classification = models.CharField(_("classification"), max_length=32, blank=True)
    origin = models.CharField(_("origin"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=64)
    feature = models.CharField(_("feature"), max_length=200, blank=True)
    feature_group = models.CharField(_("feature group"), max_length=200, blank=True)
    is_resolved = models.BooleanField(_("resolved"), default=False)
    start = models.DateTimeField(_("started"), null=True, blank=True)
    end = models.DateTimeField(_("ended"), null=True, blank=True)
    last_modified = models.DateTimeField(_("last modified"), null=True, blank=True)

    class Meta:
        ordering = ["tenant", "-start"]
        verbose_name = _("service health issue")
        verbose_name_plural = _("service health issues")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "issue_id"], name="servicehealthissue_unique_id"),
        ]
        indexes = [
            # Open issues per tenant on the tenant tiles (a handful among thousands resolved).
            models.Index(
                fields=["tenant", "service"], name="servicehealthissue_open",
                condition=models.Q(is_resolved=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id}: {self.title}"

    def level(self) -> str:
        return health_level(self.status)
