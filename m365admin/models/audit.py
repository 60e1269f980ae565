"""The audit log: who changed what, for every app, in one append-only hash chain.

Appended to and verified through `m365admin.audit`; its table keeps the name it had in the
security app (append-only triggers in security's migrations 0002 and 0005 guard it).
"""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64  # the "previous hash" of the first entry


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
        # Its table from when the log was the security app's: moved by state only (0011).
        db_table = "security_auditentry"
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
