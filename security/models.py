"""Security events (attacks on this app, threats in M365 sign-ins), the audit log and IP rules."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.models import Tenant
from security import feed
from security.choices import DETECTION_KINDS, EventKind, IPRuleAction, Verdict
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
    # Past INSPECTION_EVENTS_PER_ADDRESS, one event per address, kind and window stands for
    # the rest of an address's findings: this many (security.ratelimits.record_within_cap).
    count = models.PositiveIntegerField(_("count"), default=1)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Detections in M365 sign-ins: the tenant, who, where, when, and the sign-ins as evidence.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="security_events", verbose_name=_("tenant"))
    users = models.JSONField(_("users"), default=list, blank=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)
    window_start = models.DateTimeField(_("from"), null=True, blank=True)
    window_end = models.DateTimeField(_("until"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=list, blank=True,
                                help_text=_("Graph IDs of the sign-ins that make the evidence."))
    # One event per finding however often the detections run over the same sign-ins.
    dedup_key = models.CharField(_("deduplication key"), max_length=200, null=True, blank=True,
                                 unique=True)
    # Found by the tenant's initial sign-in backfill, or its evidence was older than
    # ALERT_MAX_EVENT_AGE_HOURS when it was first detected. Kept on record (threats pages, API),
    # but it opens no alert (until fresh evidence extends it: docs/monitoring.md).
    historical = models.BooleanField(_("historical"), default=False)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict, blank=True)
    verdict_by = models.CharField(_("verdict by"), max_length=150, blank=True)
    verdict_at = models.DateTimeField(_("verdict at"), null=True, blank=True)
    verdict_note = models.TextField(_("verdict note"), blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            models.Index(fields=["kind", "created"], name="securityevent_kind_time"),
            models.Index(fields=["tenant", "kind", "created"], name="securityevent_tenant_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ip_address or ''}".strip()

    def record_verdict(self, verdict: str, note: str, by: str) -> str:
        """An Operator's triage: sets the verdict, who and when; returns the verdict it
        replaces ("" when the event was not triaged), for the audit log."""
        previous = self.verdict
        self.verdict, self.verdict_note, self.verdict_by = verdict, note, by
        self.verdict_at = timezone.now()
        with transaction.atomic():
            self.save(update_fields=["verdict", "verdict_note", "verdict_by", "verdict_at"])
            feed.publish(self)
        return previous


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


class DetectionSettings(models.Model):
    """One tenant's thresholds and windows for the sign-in detections (docs/security.md says
    why each default is what it is)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="detection",
                                  verbose_name=_("tenant"))
    brute_force_failures = models.PositiveIntegerField(
        _("brute force: failures"), default=10, validators=[MinValueValidator(2)],
        help_text=_("Failed password sign-ins against one account within the window."))
    brute_force_minutes = models.PositiveIntegerField(
        _("brute force: window (minutes)"), default=10, validators=[MinValueValidator(1)])
    spray_accounts = models.PositiveIntegerField(
        _("spray: accounts"), default=10, validators=[MinValueValidator(2)],
        help_text=_("Distinct accounts failing from one IP address within the window."))
    spray_attempts_per_account = models.PositiveIntegerField(
        _("spray: attempts per account at most"), default=3, validators=[MinValueValidator(1)])
    spray_minutes = models.PositiveIntegerField(
        _("spray: window (minutes)"), default=60, validators=[MinValueValidator(1)])
    distributed_spray_ips = models.PositiveIntegerField(
        _("distributed spray: IP addresses"), default=5, validators=[MinValueValidator(2)],
        help_text=_("Distinct addresses, each with few attempts, failing the same way across "
                    "many accounts within the spray window."))
    travel_speed_kmh = models.PositiveIntegerField(
        _("impossible travel: speed (km/h)"), default=900, validators=[MinValueValidator(100)])
    travel_min_km = models.PositiveIntegerField(
        _("impossible travel: minimum distance (km)"), default=500,
        help_text=_("Shorter hops are within the error of IP geolocation."))
    new_country_days = models.PositiveIntegerField(
        _("new country: history (days)"), default=90, validators=[MinValueValidator(1)])
    inactive_days = models.PositiveIntegerField(
        _("inactive accounts: days without sign-in"), default=30,
        choices=[(14, "14"), (30, "30"), (60, "60"), (90, "90")])
    break_glass_accounts = models.TextField(
        _("emergency access accounts"), blank=True,
        help_text=_("User principal names, one per line: any sign-in by them is an event."))
    privileged_accounts = models.TextField(
        _("privileged accounts"), blank=True,
        help_text=_("User principal names, one per line, watched for unusual countries and "
                    "hours."))
    privileged_countries = models.CharField(
        _("privileged accounts: usual countries"), max_length=200, blank=True,
        help_text=_("Two-letter codes, e.g. JP, US; empty: the countries seen in the history."))
    privileged_hours = models.CharField(
        _("privileged accounts: usual hours (UTC)"), max_length=11, default="00-24",
        help_text=_("From-to hours in UTC, e.g. 07-19 (wrapping past midnight allowed: 22-06)."))

    class Meta:
        verbose_name = _("detection settings")
        verbose_name_plural = _("detection settings")

    def __str__(self) -> str:
        return str(self.tenant)

    @staticmethod
    def lines(text: str) -> set[str]:
        return {line.strip().lower() for line in text.splitlines() if line.strip()}


class DetectionException(models.Model):
    """An accepted risk: matching future events are suppressed until it expires."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True,
                               verbose_name=_("tenant"), help_text=_("Empty for every tenant."))
    kind = models.CharField(_("detection"), max_length=40, blank=True,
                            choices=[(k.value, k.label) for k in DETECTION_KINDS],
                            help_text=_("Empty for every detection."))
    user = models.CharField(_("user principal name"), max_length=320, blank=True)
    network = CIDRField(_("IP address or network"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True,
                               help_text=_("Two-letter code, e.g. JP."))
    reason = models.CharField(_("reason"), max_length=300)
    author = models.CharField(_("author"), max_length=150, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    expires = models.DateTimeField(_("expires"))

    class Meta:
        ordering = ["-created"]
        verbose_name = _("accepted risk")
        verbose_name_plural = _("accepted risks")

    def __str__(self) -> str:
        scope = self.user or self.network or self.country or "*"
        return f"{self.get_kind_display() or '*'}: {scope}"

    def clean(self) -> None:
        if not (self.user or self.network or self.country):
            raise ValidationError(_("Name a user, an IP address or network, or a country."))

    def in_force(self, now: datetime) -> bool:
        return self.expires > now

    def end(self, now: datetime) -> bool:
        """Expire it at `now`; False when it had already expired (or another request ended
        it first: compare-and-set, so the audit log records one end)."""
        ended = DetectionException.objects.filter(pk=self.pk, expires__gt=now).update(expires=now)
        if ended:
            self.expires = now
        return bool(ended)


class DetectionCursor(models.Model):  # noqa: DJ008 — a cursor row, never shown by name
    """How far the detections have read the sign-ins (by id: late arrivals have new ids)."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)


class PreferenceQuerySet(models.QuerySet["Preference"]):
    def by_email(self, addresses: list[str]) -> dict[str, Preference]:
        """The preferences of the people here with these email addresses, by lower-cased
        address (what notification emails are written with)."""
        if not addresses:
            return {}
        matching = Q()
        for address in addresses:
            matching |= Q(user__email__iexact=address)
        return {p.user.email.lower(): p for p in self.filter(matching).select_related("user")}


class Preference(models.Model):
    """What a person chose for their own pages (and the emails sent to them); one row per
    user, made on first save."""

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    # Empty until the person picks one (TIME_ZONE_DEFAULT applies).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # The language last picked with the switcher; empty until then.
    language = models.CharField(_("language"), max_length=10, blank=True,
                                choices=settings.LANGUAGES)

    objects = PreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user} {self.time_zone}"
