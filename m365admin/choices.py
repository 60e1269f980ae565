"""Choices for the M365 entity models: constants with their labels, compared by constant."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Component(models.TextChoices):
    """The components whose health the dashboard shows, in display order."""

    API = "api", _("API")
    DATABASE = "database", _("Database")
    GRAPH = "graph", _("Microsoft Graph")
    EXCHANGE = "exchange", _("Exchange Online")
    AUTH = "auth", _("Authentication")
    CACHE = "cache", _("Cache and channel layer")
    QUEUE = "queue", _("Task queue")


class HealthStatus(models.TextChoices):
    UP = "up", _("Up")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")


# Worse statuses sort higher: a component is as healthy as its worst part.
SEVERITY: dict[str, int] = {HealthStatus.UP: 0, HealthStatus.DEGRADED: 1, HealthStatus.DOWN: 2}


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=SEVERITY.__getitem__, default=HealthStatus.UP)


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")
    CRITICAL = "critical", _("Critical")


# Higher is worse; the dashboard and notifications order by it.
SEVERITY_RANK: dict[str, int] = {
    Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


class AlertSource(models.TextChoices):
    """What an alert rule watches. The tick offers the metric, component and request
    observations; each other source is a function an app registers beside its code
    (m365admin/registry/alert_sources.py)."""

    METRIC = "metric", _("System metric")
    COMPONENT = "component", _("Component health")
    REQUESTS = "requests", _("Request latency and errors")
    SYNC = "sync", _("Collector failures")
    SERVICE_HEALTH = "service_health", _("Microsoft 365 service health")
    NOTIFICATION = "notification", _("Notification channels")
    SECURITY = "security", _("Security events")
    SUBSCRIPTION = "subscription", _("Microsoft 365 subscriptions")
    CLIENT_SECRET = "client_secret", _("Tenant client secrets")


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


# The healthOverviews id of Exchange Online (CONTRACT 2.7; samples/service_health_overviews.json):
# the Exchange component's health is read from it, and its alert explains that component's.
EXCHANGE_SERVICE_ID = "Exchange"


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


# Coded values Graph sends that pages show: stored as sent, put in words when shown
# (graph_words below; templates use the |graph_words filter).


class ClientApp(models.TextChoices):
    """signIn.clientAppUsed: protocol names (IMAP, POP, SMTP, MAPI, Exchange ActiveSync) are
    names and stay as they are; these are the ones written in words."""

    BROWSER = "Browser", _("Browser")
    MOBILE_AND_DESKTOP = "Mobile Apps and Desktop clients", _("Mobile apps and desktop clients")
    OTHER = "Other clients", _("Other clients")
    AUTHENTICATED_SMTP = "Authenticated SMTP", _("Authenticated SMTP")
    OFFLINE_ADDRESS_BOOK = "Offline Address Book", _("Offline address book")
    REPORTING = "Reporting Web Services", _("Reporting web services")
    AUTODISCOVER = "AutoDiscover", _("Autodiscover")


class ConditionalAccessStatus(models.TextChoices):
    SUCCESS = "success", _("Passed")
    FAILURE = "failure", _("Failed")
    NOT_APPLIED = "notApplied", _("No policy applied")
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue", _("Unknown future value")


class AuthenticationRequirement(models.TextChoices):
    SINGLE_FACTOR = "singleFactorAuthentication", _("Single-factor authentication")
    MULTI_FACTOR = "multiFactorAuthentication", _("Multi-factor authentication")


class RiskDetail(models.TextChoices):
    """riskDetail: why a risk state is what it is."""

    NONE = "none", _("None")
    ADMIN_TEMPORARY_PASSWORD = "adminGeneratedTemporaryPassword", _(
        "An administrator set a temporary password")
    USER_PASSWORD_CHANGE = "userPerformedSecuredPasswordChange", _(
        "The user changed their password securely")
    USER_PASSWORD_RESET = "userPerformedSecuredPasswordReset", _(
        "The user reset their password securely")
    ADMIN_CONFIRMED_SAFE = "adminConfirmedSigninSafe", _(
        "An administrator confirmed the sign-in safe")
    AI_CONFIRMED_SAFE = "aiConfirmedSigninSafe", _("Confirmed safe automatically")
    PASSED_MFA = "userPassedMFADrivenByRiskBasedPolicy", _(
        "The user passed multi-factor authentication asked for by a risk policy")
    ADMIN_DISMISSED = "adminDismissedAllRiskForUser", _(
        "An administrator dismissed all risk for the user")
    ADMIN_CONFIRMED_COMPROMISED = "adminConfirmedSigninCompromised", _(
        "An administrator confirmed the sign-in compromised")
    ADMIN_CONFIRMED_USER_COMPROMISED = "adminConfirmedUserCompromised", _(
        "An administrator confirmed the user compromised")
    HIDDEN = "hidden", _("Hidden")
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue", _("Unknown future value")


class RiskEventType(models.TextChoices):
    """riskEventTypes_v2: the detections Entra ID ID Protection reports."""

    UNLIKELY_TRAVEL = "unlikelyTravel", _("Atypical travel")
    ANONYMIZED_IP = "anonymizedIPAddress", _("Anonymous IP address")
    MALICIOUS_IP = "maliciousIPAddress", _("Malicious IP address")
    UNFAMILIAR_FEATURES = "unfamiliarFeatures", _("Unfamiliar sign-in properties")
    MALWARE_IP = "malwareInfectedIPAddress", _("Malware-linked IP address")
    SUSPICIOUS_IP = "suspiciousIPAddress", _("Suspicious IP address")
    LEAKED_CREDENTIALS = "leakedCredentials", _("Leaked credentials")
    THREAT_INTELLIGENCE = "investigationsThreatIntelligence", _("Threat intelligence")
    GENERIC = "generic", _("Other risk")
    ADMIN_CONFIRMED_COMPROMISED = "adminConfirmedUserCompromised", _(
        "An administrator confirmed the user compromised")
    IMPOSSIBLE_TRAVEL = "mcasImpossibleTravel", _("Impossible travel")
    INBOX_RULES = "mcasSuspiciousInboxManipulationRules", _("Suspicious inbox rules")
    PASSWORD_SPRAY = "passwordSpray", _("Password spray")
    ANOMALOUS_TOKEN = "anomalousToken", _("Anomalous token")
    TOKEN_ISSUER_ANOMALY = "tokenIssuerAnomaly", _("Token issuer anomaly")
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue", _("Unknown future value")


class TeamVisibility(models.TextChoices):
    PRIVATE = "private", _("Private")
    PUBLIC = "public", _("Public")
    HIDDEN_MEMBERSHIP = "hiddenMembership", _("Hidden membership")
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue", _("Unknown future value")


def graph_words(choices: type[models.TextChoices], value: object) -> str:
    """The translated label of a value Graph sent (matched ignoring case: Graph spells some both
    ways), or the value itself when it is one we do not know yet."""
    if value in (None, ""):
        return ""
    text = str(value)
    for choice in choices:
        if choice.value.lower() == text.lower():
            return str(choice.label)
    return text
