"""The database console's records: each optimisation action an Administrator started, and the
daily snapshots of query statistics and table sizes that keep trends past a reset."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from monitoring.choices import DATABASE_ACTION_ACTIVE, DatabaseActionKind, DatabaseActionState


class DatabaseAction(models.Model):
    """One action, queued by the console and run by the scheduler (the worker).

    `statements` is exactly the SQL the confirmation showed; the worker runs those statements
    and nothing else. One action at a time per target: a second is refused while one is queued
    or running (a partial unique index, so two requests racing cannot both get in)."""

    kind = models.CharField(_("action"), max_length=32, choices=DatabaseActionKind.choices)
    target = models.CharField(_("target"), max_length=300)
    column = models.CharField(_("column"), max_length=200, blank=True)
    statements = models.JSONField(_("SQL statements"))
    # Indexes ("schema.name") the statements create: dropped again if the action fails.
    creates = models.JSONField(_("indexes created"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=DatabaseActionState.choices,
                             default=DatabaseActionState.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    requested = models.DateTimeField(_("requested"), auto_now_add=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    backend_pid = models.IntegerField(_("backend PID"), null=True, blank=True)
    progress = models.JSONField(_("last progress"), null=True, blank=True)
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("cancel requested by"))
    result = models.TextField(_("result"), blank=True)
    # Indexes a failed build left that could not be dropped yet (a lock was held): the worker
    # tries again on its next rounds, without holding up the queue.
    cleanup_pending = models.JSONField(_("left to clean up"), default=list, blank=True)

    class Meta:
        verbose_name = _("database action")
        verbose_name_plural = _("database actions")
        ordering = ["-requested"]
        constraints = [
            models.UniqueConstraint(
                fields=["target"], condition=Q(state__in=DATABASE_ACTION_ACTIVE),
                name="one_active_database_action_per_target",
            ),
        ]
        indexes = [models.Index(fields=["state", "requested"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target}"

    @property
    def active(self) -> bool:
        return self.state in DATABASE_ACTION_ACTIVE

    @property
    def duration(self):
        if self.started and self.finished:
            return self.finished - self.started
        return None


class QueryStatsSnapshot(models.Model):  # noqa: DJ008 — chart data, never shown by name
    """pg_stat_statements' top queries at one moment (cumulative since its last reset), every
    5 minutes."""

    captured = models.DateTimeField(_("captured"), db_index=True)
    queryid = models.BigIntegerField(_("query ID"))
    query = models.TextField(_("query"))
    calls = models.BigIntegerField(_("calls"))
    total_ms = models.FloatField(_("total time (ms)"))
    rows = models.BigIntegerField(_("rows"))

    class Meta:
        verbose_name = _("query statistics snapshot")
        verbose_name_plural = _("query statistics snapshots")
        ordering = ["-captured", "-total_ms"]
        # A statement's history chart reads its snapshots in time order.
        indexes = [models.Index(fields=["queryid", "captured"])]


class TableSizeSnapshot(models.Model):  # noqa: DJ008 — chart data, never shown by name
    """A table's size (partitions included) at one moment, for the size-growth chart."""

    captured = models.DateTimeField(_("captured"), db_index=True)
    table = models.CharField(_("table"), max_length=200)
    total_bytes = models.BigIntegerField(_("total size (bytes)"))
    rows = models.BigIntegerField(_("rows (estimate)"))

    class Meta:
        verbose_name = _("table size snapshot")
        verbose_name_plural = _("table size snapshots")
        ordering = ["-captured", "table"]
