"""Security events (attacks on this app, threats in M365 sign-ins), the audit log and IP rules."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.choices import Severity
from security.choices import EventKind, IPRuleAction
from security.fields import CIDRField

GENESIS = "0" * 64  # the "previous hash" of the first entry


class SecurityEvent(models.Model):
    created = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=40, choices=EventKind)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    username = models.CharField(_("username"), max_length=254, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    # Where a request inspection matched, e.g. "query:q" or "header:User-Agent".
    location = models.CharField(_("location"), max_length=200, blank=True)
    blocked = models.BooleanField(_("blocked"), default=False)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [models.Index(fields=["kind", "created"], name="securityevent_kind_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ip_address or ''}".strip()


class AuditEntry(models.Model):
    """One append-only, hash-chained record of something that matters.

    `hash` is the SHA-256 of the entry's content and the previous entry's hash, so changing or
    removing any entry breaks the chain from there on (`manage.py verify-audit`). The actor is
    kept as text, not a foreign key: deleting a user must not rewrite the log.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.CharField(_("actor"), max_length=150, blank=True,
                             help_text=_("Empty for the system (scheduler, commands)."))
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target = models.CharField(_("target"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target}".strip()

    def content(self) -> bytes:
        """What the hash covers, canonically: every field but the id and the hash itself."""
        return json.dumps({
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor,
            "actor_id": self.actor_id,
            "ip_address": self.ip_address,
            "action": self.action,
            "target": self.target,
            "details": self.details,
            "previous_hash": self.previous_hash,
        }, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder,
            ensure_ascii=False).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.content()).hexdigest()


class IPRule(models.Model):
    """Allows or denies one network; how rules combine is in security/iprules.py."""

    network = CIDRField(_("network"), help_text=_(
        "An address or a CIDR network, IPv4 or IPv6: 192.0.2.7, 192.0.2.0/24, 2001:db8::/32."))
    action = models.CharField(_("action"), max_length=5, choices=IPRuleAction)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Text, like AuditEntry.actor: deleting a user must not delete or rewrite their rules.
    author = models.CharField(_("author"), max_length=150, blank=True,
                              help_text=_("Who last saved the rule in the admin."))
    created = models.DateTimeField(_("created"), default=timezone.now)
    expires = models.DateTimeField(_("expires"), null=True, blank=True,
                                   help_text=_("Empty: the rule never expires."))
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["network", "action"]
        verbose_name = _("IP rule")
        verbose_name_plural = _("IP rules")
        constraints = [
            # Also the index of the default ordering. An allow and a deny rule for the same
            # network may coexist (a temporary deny over a standing allow).
            models.UniqueConstraint(fields=["network", "action"], name="iprule_network_action"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.network}"

    def in_force(self, now: datetime) -> bool:
        """Enabled and not expired at `now`."""
        return self.enabled and (self.expires is None or self.expires > now)
