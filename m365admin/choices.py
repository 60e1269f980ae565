"""Choices for the M365 entity models: constants with their labels, compared by constant."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Collector(models.TextChoices):
    """The Graph collectors, one per entity (collectors/sync/<value>.py)."""

    USERS = "users", _("Users")
    SIGNIN_ACTIVITY = "signin_activity", _("Last sign-in activity")
    SIGNINS = "signins", _("Sign-ins")
    SKUS = "skus", _("Licences")
    SUBSCRIPTIONS = "subscriptions", _("Subscriptions")
    MAILBOXES = "mailboxes", _("Mailbox usage")
    ONEDRIVE = "onedrive", _("OneDrive usage")
    TEAMS = "teams", _("Teams")
    SERVICE_HEALTH = "service_health", _("Service health")


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    # Its process stopped (killed, crashed, host lost) before it finished.
    ABANDONED = "abandoned", _("Abandoned")


class SyncTrigger(models.TextChoices):
    MANUAL = "manual", _("Manual")
    SCHEDULED = "scheduled", _("Scheduled")
    DEMO = "demo", _("Demo")


class UserType(models.TextChoices):
    MEMBER = "Member", _("Member")
    GUEST = "Guest", _("Guest")
    OTHER = "Other", _("Other")


class HealthLevel(models.TextChoices):
    """The traffic-light reading of Graph's serviceHealthStatus (CONTRACT 2.7)."""

    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded")
    INTERRUPTED = "interrupted", _("Interrupted")
    UNKNOWN = "unknown", _("Unknown")


# serviceHealthStatus values (camelCase, compared case-insensitively) by level.
HEALTH_STATUS_LEVELS: dict[str, str] = {
    **dict.fromkeys(
        ("serviceoperational", "servicerestored", "falsepositive",
         "postincidentreviewpublished", "resolved"),
        HealthLevel.OPERATIONAL,
    ),
    **dict.fromkeys(
        ("investigating", "restoringservice", "verifyingservice", "extendedrecovery",
         "investigationsuspended", "servicedegradation"),
        HealthLevel.DEGRADED,
    ),
    "serviceinterruption": HealthLevel.INTERRUPTED,
}


class SignInStatus(models.TextChoices):
    """A sign-in's outcome as the explorer filters it (Graph: errorCode 0 or not)."""

    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class RiskLevel(models.TextChoices):
    """riskLevelDuringSignIn and riskLevelAggregated (CONTRACT 2.3)."""

    NONE = "none", _("None")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    # What tenants without Entra ID P2 get.
    HIDDEN = "hidden", _("Hidden")
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue", _("Unknown future value")


class RiskState(models.TextChoices):
    NONE = "none", _("None")
    CONFIRMED_SAFE = "confirmedSafe", _("Confirmed safe")
    REMEDIATED = "remediated", _("Remediated")
    DISMISSED = "dismissed", _("Dismissed")
    AT_RISK = "atRisk", _("At risk")
    CONFIRMED_COMPROMISED = "confirmedCompromised", _("Confirmed compromised")
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue", _("Unknown future value")


class SubscriptionStatus(models.TextChoices):
    """companySubscription.status (and subscribedSku.capabilityStatus), PascalCase as sent."""

    ENABLED = "Enabled", _("Enabled")
    WARNING = "Warning", _("Warning")
    SUSPENDED = "Suspended", _("Suspended")
    DELETED = "Deleted", _("Deleted")
    LOCKED_OUT = "LockedOut", _("Locked out")
    # The resource page names this one (the list page and CONTRACT do not).
    EXPIRED = "Expired", _("Expired")


# States in which service stops or is about to: an administrator must act.
TROUBLED_SUBSCRIPTION = (SubscriptionStatus.WARNING, SubscriptionStatus.SUSPENDED,
                         SubscriptionStatus.LOCKED_OUT, SubscriptionStatus.EXPIRED)


class LicenceKind(models.TextChoices):
    """Whether a SKU's unassigned seats are spend (licences page, dashboard tiles)."""

    PAID = "paid", _("Paid")
    # Free or self-service (Power Automate Free, Fabric (Free)): unassigned units cost nothing.
    FREE = "free", _("Free")
    TRIAL = "trial", _("Trial")


class SignInSource(models.TextChoices):
    """Where a user's last sign-in time comes from (DirectoryUser.last_seen)."""

    INTERACTIVE = "interactive", _("Entra ID: interactive")
    NON_INTERACTIVE = "non_interactive", _("Entra ID: non-interactive")
    SIGN_IN_LOG = "sign_in_log", _("Sign-in log")
