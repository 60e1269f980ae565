"""Choices for security: event kinds, audit actions and IP rule actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from monitoring.choices import Severity


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
}


class IPRuleAction(models.TextChoices):
    ALLOW = "allow", _("Allow")
    DENY = "deny", _("Deny")
