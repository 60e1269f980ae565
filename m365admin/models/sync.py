"""Bookkeeping for collector runs: one row per run, one checkpoint per tenant and collector."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

import psutil
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Collector, SyncStatus, SyncTrigger
from m365admin.models.tenants import Tenant
from m365admin.texts import Message, english, message, render


def this_process() -> str:
    """How a run names the process running it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(owner: str, started: datetime) -> bool | None:
    """Whether the owning process still runs; None when it ran on another host."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        # A pid reused by a process started after the run is not its owner.
        return bool(psutil.Process(int(pid)).create_time() <= started.timestamp() + 1)
    except psutil.Error:
        return False


class SyncRunQuerySet(models.QuerySet["SyncRun"]):
    def abandon_orphans(self) -> int:
        """Mark running runs whose process is gone as abandoned; returns how many.

        On this host a run is orphaned as soon as its process is gone; a run of another host
        once it has shown no sign of life for SYNC_RUN_LEASE_MINUTES (each page is one).
        """
        lease = timedelta(minutes=settings.SYNC_RUN_LEASE_MINUTES)
        now = timezone.now()
        abandoned = 0
        for run in self.filter(status=SyncStatus.RUNNING):
            alive = _process_alive(run.owner, run.started)
            if alive or (alive is None and now - (run.heartbeat or run.started) < lease):
                continue
            abandoned += _abandon(run, now)
        return abandoned

    def abandon_owned_by(self, owner: str) -> int:
        """Mark the running runs of a process known to be gone (a task worker whose lease
        expired, on any host) as abandoned at once; returns how many."""
        now = timezone.now()
        return sum(_abandon(run, now) for run in self.filter(status=SyncStatus.RUNNING, owner=owner))


def _abandon(run: SyncRun, now: datetime) -> int:
    # Compare-and-set: the run may have finished (or beaten its lease) meanwhile.
    return SyncRun.objects.filter(
        pk=run.pk, status=SyncStatus.RUNNING, heartbeat=run.heartbeat,
    ).update(status=SyncStatus.ABANDONED, finished=now, error_code="abandoned",
             **SyncRun.error_fields(message(
                 "sync.abandoned", owner=run.owner or "?", pages=run.pages, rows=run.written,
                 seen=f"{run.heartbeat or run.started:%Y-%m-%d %H:%M:%S}")))


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
    error = models.TextField(_("error"), blank=True)  # in English (older runs: the only form)
    # The error as a language-neutral message (m365admin/texts.py), shown in the reader's.
    error_message = models.JSONField(_("error message"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=128, blank=True)
    # Who runs it ("host:pid") and when it last showed progress: how an abandoned run is told.
    owner = models.CharField(_("owner"), max_length=128, blank=True, default=this_process)
    heartbeat = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # Its Graph traffic so far (collectors.graph.stats.counting), saved with each page.
    graph_requests = models.PositiveIntegerField(_("Graph requests"), default=0)
    graph_throttled = models.PositiveIntegerField(
        _("Graph throttled"), default=0, help_text=_("Answers 429 Too Many Requests."))
    graph_retries = models.PositiveIntegerField(_("Graph retries"), default=0)

    objects = SyncRunQuerySet.as_manager()

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

    def finish(self, status: str, *, error: Message = "", error_code: str = "") -> None:
        self.status = status
        self.finished = timezone.now()
        for name, value in self.error_fields(error).items():
            setattr(self, name, value)
        self.error_code = error_code[:128]
        self.save(update_fields=["status", "finished", "error", "error_message", "error_code",
                                 "pages", "written", "removed", "rejected", *GRAPH_COUNTS])

    @staticmethod
    def error_fields(error: Message) -> dict[str, Any]:
        return {"error": english(error), "error_message": error or None}

    def localized_error(self) -> str:
        """The error in the active language; an older run's English line as it was stored."""
        return render(self.error_message, self.error)

    def count_graph(self, *, requests: int, throttled: int, retries: int) -> None:
        """Bring the run's Graph counts up to these totals so far, adding what is new to the
        tenant's cumulative GraphUsage; the caller saves the run in the same transaction."""
        totals = {"graph_requests": requests, "graph_throttled": throttled,
                  "graph_retries": retries}
        new = {field: total - getattr(self, field) for field, total in totals.items()}
        if not any(new.values()):
            return
        for field, total in totals.items():
            setattr(self, field, total)
        usage, _ = GraphUsage.objects.get_or_create(tenant_id=self.tenant_id,
                                                    collector=self.collector)
        GraphUsage.objects.filter(pk=usage.pk).update(**{
            field.removeprefix("graph_"): models.F(field.removeprefix("graph_")) + n
            for field, n in new.items()})


# The SyncRun fields count_graph sets.
GRAPH_COUNTS = ("graph_requests", "graph_throttled", "graph_retries")


class GraphUsage(models.Model):
    """Graph traffic per tenant and collector since the installation began: monotonic totals
    (Prometheus counters) that outlive the SyncRun rows they were added from."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("tenant"))
    collector = models.CharField(_("collector"), max_length=32, choices=Collector.choices)
    requests = models.PositiveBigIntegerField(_("requests"), default=0)
    throttled = models.PositiveBigIntegerField(_("throttled"), default=0)
    retries = models.PositiveBigIntegerField(_("retries"), default=0)

    class Meta:
        ordering = ["tenant", "collector"]
        verbose_name = _("Graph usage")
        verbose_name_plural = _("Graph usage")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "collector"], name="graphusage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.collector}"


class SyncCheckpoint(models.Model):
    """Where the next run of a collector resumes; saved in the same transaction as the page."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("tenant"))
    collector = models.CharField(_("collector"), max_length=32, choices=Collector.choices)
    # Users: the deltaLink of the last complete round (opaque, followed verbatim).
    delta_link = models.TextField(_("delta link"), blank=True)
    # Sign-ins: everything created before this instant has been stored.
    watermark = models.DateTimeField(_("watermark"), null=True, blank=True)
    # Sign-ins: the window being read; the watermark moves to its end once all of it is read.
    window_start = models.DateTimeField(_("window start"), null=True, blank=True)
    window_end = models.DateTimeField(_("window end"), null=True, blank=True)
    # The nextLink of a listing in progress (a users delta round, a sign-in window), so a
    # killed run resumes mid-way.
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
