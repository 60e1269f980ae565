"""Choices for security: event kinds, audit actions and IP rule actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity


class EventKind(models.TextChoices):
    """Attacks on this app. Threats found in M365 sign-ins are added by the detections."""

    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOCKOUT = "lockout", _("Account locked out")
    SQL_INJECTION = "sql_injection", _("SQL injection attempt")
    XSS = "xss", _("Cross-site scripting attempt")
    IP_DENIED = "ip_denied", _("Request from a denied IP address")
    RATE_LIMITED = "rate_limited", _("Rate limit exceeded")
    TOKEN_REUSE = "token_reuse", _("Revoked token reused")
    ACCESS_DENIED = "access_denied", _("Access denied")
    # Threats found in M365 sign-ins (security/detections/).
    BRUTE_FORCE = "brute_force", _("Brute force against an account")
    PASSWORD_SPRAY = "password_spray", _("Password spray")
    DISTRIBUTED_SPRAY = "distributed_spray", _("Distributed password spray")
    IMPOSSIBLE_TRAVEL = "impossible_travel", _("Impossible travel")
    LEGACY_AUTH = "legacy_auth", _("Legacy authentication")
    MFA_GAP = "mfa_gap", _("Single-factor sign-in")
    NEW_COUNTRY = "new_country", _("Sign-in from a new country")
    RISKY_SIGN_IN = "risky_sign_in", _("Risky sign-in reported by Entra ID")
    BREAK_GLASS = "break_glass", _("Emergency access account used")
    PRIVILEGED_ANOMALY = "privileged_anomaly", _("Privileged account outside its usual pattern")


# The detections' kinds, for the threats pages (the others are attacks on this app).
DETECTION_KINDS = [
    EventKind.BRUTE_FORCE, EventKind.PASSWORD_SPRAY, EventKind.DISTRIBUTED_SPRAY,
    EventKind.IMPOSSIBLE_TRAVEL, EventKind.LEGACY_AUTH, EventKind.MFA_GAP, EventKind.NEW_COUNTRY,
    EventKind.RISKY_SIGN_IN, EventKind.BREAK_GLASS, EventKind.PRIVILEGED_ANOMALY,
]


# The severity each kind is recorded (and alerted) at.
EVENT_SEVERITY = {
    EventKind.LOGIN_FAILED: Severity.INFO,
    EventKind.LOCKOUT: Severity.WARNING,
    EventKind.SQL_INJECTION: Severity.ERROR,
    EventKind.XSS: Severity.ERROR,
    EventKind.IP_DENIED: Severity.WARNING,
    EventKind.RATE_LIMITED: Severity.WARNING,
    EventKind.TOKEN_REUSE: Severity.CRITICAL,
    EventKind.ACCESS_DENIED: Severity.INFO,
    # Defaults, and the level a kind's alert counts from: a detection may record one finding
    # lower (a blocked legacy-auth attempt is INFO) to keep it on record but out of alerts.
    EventKind.BRUTE_FORCE: Severity.WARNING,
    EventKind.PASSWORD_SPRAY: Severity.ERROR,
    EventKind.DISTRIBUTED_SPRAY: Severity.ERROR,
    EventKind.IMPOSSIBLE_TRAVEL: Severity.ERROR,
    EventKind.LEGACY_AUTH: Severity.ERROR,
    EventKind.MFA_GAP: Severity.WARNING,
    EventKind.NEW_COUNTRY: Severity.INFO,
    EventKind.RISKY_SIGN_IN: Severity.WARNING,
    EventKind.BREAK_GLASS: Severity.CRITICAL,
    EventKind.PRIVILEGED_ANOMALY: Severity.ERROR,
}


class Verdict(models.TextChoices):
    """An Operator's triage of a detection's event."""

    TRUE_POSITIVE = "true_positive", _("True positive")
    FALSE_POSITIVE = "false_positive", _("False positive")
    BENIGN = "benign", _("Benign")


class IPRuleAction(models.TextChoices):
    ALLOW = "allow", _("Allow")
    DENY = "deny", _("Deny")
