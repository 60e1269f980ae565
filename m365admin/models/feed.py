"""The security feed's outbox: one row per security event, detection finding or alert change,
written in the transaction that records it (m365admin.feed), and where forwarding got to."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, Value
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TransactionId(Func):
    """The writing transaction's id (PostgreSQL's 64-bit xid8, which never wraps around);
    0 on SQLite, where one writer at a time commits rows in the order of their ids."""

    function = "pg_current_xact_id"
    template = "%(function)s()::text::bigint"
    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper,
                  **extra: Any) -> tuple[str, Any]:
        return compiler.compile(Value(0))


class FeedType(models.TextChoices):
    SECURITY_EVENT = "security_event", _("Security event")
    FINDING = "finding", _("Detection finding")
    ALERT = "alert", _("Alert")


class FeedRecord(models.Model):  # noqa: DJ008 — a queue row, never shown by name
    # Served in (txid, id) order, and only below the oldest transaction still running that
    # may write here (m365admin.feed.horizon): a row whose id was taken by a transaction that
    # has not committed yet can never appear behind a reader's cursor.
    txid = models.BigIntegerField(db_default=TransactionId(), editable=False)
    type = models.CharField(_("type"), max_length=20, choices=FeedType)
    # The event's id, the finding's id or the alert's code: what later records of the same
    # object (a finding extended, an alert acknowledged) share.
    object_id = models.CharField(_("object"), max_length=64)
    time = models.DateTimeField(_("time"))
    recorded = models.DateTimeField(_("recorded"), default=timezone.now)
    severity = models.CharField(_("severity"), max_length=10)
    tenant = models.JSONField(_("tenant"), null=True)  # {"id", "name"} as it was then
    fields = models.JSONField(_("fields"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("feed record")
        verbose_name_plural = _("feed records")
        indexes = [models.Index(fields=["txid", "id"], name="feedrecord_order")]


class FeedDelivery(models.Model):  # noqa: DJ008 — progress row, never shown by name
    """How far a forwarder has delivered the feed, and how it is doing."""

    name = models.CharField(max_length=40, unique=True)
    after_txid = models.BigIntegerField(default=0)
    after_id = models.BigIntegerField(default=0)
    delivered = models.BigIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True)
    next_attempt = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated = models.DateTimeField(auto_now=True)
