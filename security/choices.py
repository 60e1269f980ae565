"""Choices for security: event kinds (registered in m365admin/registry/detections.py), verdicts
and IP rule actions."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.registry import detections as registry
from m365admin.registry.detections import Kind, register_kinds

# The app's own attack kinds. The sign-in detections register theirs beside their code
# (security/detections/), each with its label and severity.
register_kinds(
    Kind("login_failed", _("Failed sign-in"), Severity.INFO),
    Kind("lockout", _("Account locked out"), Severity.WARNING),
    Kind("sql_injection", _("SQL injection attempt"), Severity.ERROR),
    Kind("xss", _("Cross-site scripting attempt"), Severity.ERROR),
    Kind("ip_denied", _("Request from a denied IP address"), Severity.WARNING),
    Kind("rate_limited", _("Rate limit exceeded"), Severity.WARNING),
    Kind("token_reuse", _("Revoked token reused"), Severity.CRITICAL),
    Kind("access_denied", _("Access denied"), Severity.INFO),
)

# The detections' kinds, for the threats pages (the others are attacks on this app): the
# registry's list, filled as security/detections/ registers them.
DETECTION_KINDS = registry.DETECTION_KINDS

# The severity each kind is recorded (and alerted) at, by value. For a detection's kind, the
# default and the level its alert counts from: a detection may record one finding lower (a
# blocked legacy-auth attempt is INFO) to keep it on record but out of alerts.
EVENT_SEVERITY = registry.SEVERITIES


def event_kinds() -> list[tuple[str, str]]:
    """SecurityEvent.kind's choices, read when used: the detections register theirs after
    the models load, and a new kind needs no migration."""
    _load_detections()
    return [(kind.value, kind.label) for kind in registry.KINDS.values()]


def detection_kinds() -> list[tuple[str, str]]:
    _load_detections()
    return [(kind.value, kind.label) for kind in registry.DETECTION_KINDS]


@cache
def _event_kind() -> type[models.TextChoices]:
    _load_detections()
    return models.TextChoices(  # type: ignore[return-value]
        "EventKind",
        [(kind.value.upper(), (kind.value, kind.label)) for kind in registry.KINDS.values()])


def _load_detections() -> None:
    """Importing security.detections registers them (done by SecurityConfig.ready; here for
    the migrations' and checks' earlier reads). Read while they load, the list would be
    short: that is a bug, so it fails loudly."""
    if not getattr(import_module("security.detections"), "LOADED", False):
        raise ImproperlyConfigured("security event kinds read while the detections register")


def __getattr__(name: str):
    # EventKind, as constants for code and tests (EventKind.BRUTE_FORCE), built from the
    # registry on first use, once every detection has registered.
    if name == "EventKind":
        return _event_kind()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Verdict(models.TextChoices):
    """An Operator's triage of a detection's event."""

    TRUE_POSITIVE = "true_positive", _("True positive")
    FALSE_POSITIVE = "false_positive", _("False positive")
    BENIGN = "benign", _("Benign")


class IPRuleAction(models.TextChoices):
    ALLOW = "allow", _("Allow")
    DENY = "deny", _("Deny")
