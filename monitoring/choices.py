"""Choices for monitoring: constants with their labels, compared by constant."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Comparison(models.TextChoices):
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"
    EQ = "eq", "="


class AlertStatus(models.TextChoices):
    # Pending: the condition holds but not yet for the rule's duration (never shown as open).
    PENDING = "pending", _("Pending")
    FIRING = "firing", _("Firing")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


OPEN_STATUSES = (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)


class NotificationEvent(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")
    TEST = "test", _("Test")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Its channel was disabled before it went out.
    CANCELLED = "cancelled", _("Cancelled")


class DatabaseActionKind(models.TextChoices):
    """What an Administrator may run from the database console (monitoring.dbconsole.actions)."""

    ANALYZE = "analyze", _("Analyze a table")
    VACUUM = "vacuum", _("Vacuum and analyze a table")
    REINDEX = "reindex", _("Rebuild an index")
    CREATE_INDEX = "create_index", _("Create a suggested index")
    DROP_INDEX = "drop_index", _("Drop an index")
    CANCEL_BACKEND = "cancel_backend", _("Cancel a backend's query")
    TERMINATE_BACKEND = "terminate_backend", _("Terminate a backend")
    RESET_STATEMENTS = "reset_statements", _("Reset query statistics")
    CREATE_PARTITIONS = "create_partitions", _("Create the partitions ahead")
    DROP_PARTITIONS = "drop_partitions", _("Drop partitions past retention")


class DatabaseActionState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


DATABASE_ACTION_ACTIVE = (DatabaseActionState.QUEUED, DatabaseActionState.RUNNING)
