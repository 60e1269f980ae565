"""Bookkeeping for collector runs: one row per run, one checkpoint per tenant and collector."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Collector, SyncStatus, SyncTrigger
from m365admin.models.tenants import Tenant


class SyncRun(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("tenant"))
    collector = models.CharField(_("collector"), max_length=32, choices=Collector.choices)
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=SyncTrigger.choices, default=SyncTrigger.MANUAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SyncStatus.choices, default=SyncStatus.RUNNING
    )
    started = models.DateTimeField(_("started"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    written = models.PositiveIntegerField(_("rows written"), default=0)
    removed = models.PositiveIntegerField(_("rows removed"), default=0)
    rejected = models.PositiveIntegerField(
        _("items rejected"), default=0, help_text=_("Graph items that failed validation.")
    )
    # One line an operator can act on; never a stack trace, never a secret.
    error = models.TextField(_("error"), blank=True)
    error_code = models.CharField(_("error code"), max_length=128, blank=True)

    class Meta:
        ordering = ["-started"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        indexes = [
            # The latest run per tenant and collector (tenant page, health checks).
            models.Index(fields=["tenant", "collector", "-started"], name="syncrun_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.collector} {self.started:%Y-%m-%d %H:%M}"

    def duration(self) -> timedelta | None:
        return self.finished - self.started if self.finished else None

    def finish(self, status: str, *, error: str = "", error_code: str = "") -> None:
        self.status = status
        self.finished = timezone.now()
        self.error = error
        self.error_code = error_code[:128]
        self.save(update_fields=["status", "finished", "error", "error_code",
                                 "pages", "written", "removed", "rejected"])


class SyncCheckpoint(models.Model):
    """Where the next run of a collector resumes; saved in the same transaction as the page."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("tenant"))
    collector = models.CharField(_("collector"), max_length=32, choices=Collector.choices)
    # Users: the deltaLink of the last complete round (opaque, followed verbatim).
    delta_link = models.TextField(_("delta link"), blank=True)
    # Sign-ins: everything created before this instant has been stored.
    watermark = models.DateTimeField(_("watermark"), null=True, blank=True)
    # Users: the nextLink of a delta round in progress, so a killed run resumes mid-round.
    next_link = models.TextField(_("next link"), blank=True)
    # Users: when the current full round began; rows not seen since then are gone.
    round_started = models.DateTimeField(_("round started"), null=True, blank=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["tenant", "collector"]
        verbose_name = _("sync checkpoint")
        verbose_name_plural = _("sync checkpoints")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "collector"], name="synccheckpoint_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.collector}"
