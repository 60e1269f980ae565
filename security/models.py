"""Security events (attacks on this app, threats in M365 sign-ins) and IP rules.

The audit log and people's preferences are the base's (m365admin.models): every app uses them."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.models import Tenant
from m365admin.registry import detections as registry
from security import feed
from security.choices import IPRuleAction, Verdict, detection_kinds, event_kinds
from security.fields import CIDRField


class SecurityEvent(models.Model):
    created = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=40, choices=event_kinds)
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
    # Set on every save: the threat pages' 30-day summaries are cached under the latest of
    # it (security.threats). A save(update_fields=…) must name it; QuerySet.update() must set
    # it. The database default covers workers still on older code during an upgrade.
    changed = models.DateTimeField(_("changed"), auto_now=True, db_default=Now())

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            models.Index(fields=["kind", "created"], name="securityevent_kind_time"),
            models.Index(fields=["tenant", "kind", "created"], name="securityevent_tenant_kind"),
            # /threats/: a page of the latest activity first, without sorting every event.
            models.Index(fields=["-window_end", "-id"], name="securityevent_latest"),
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
            self.save(update_fields=["verdict", "verdict_note", "verdict_by", "verdict_at",
                                      "changed"])
            feed.publish(self)
        return previous


class IPRule(models.Model):
    """Allows or denies one network; how rules combine is in security/iprules.py."""

    network = CIDRField(_("network"), help_text=_(
        "An address or a CIDR network, IPv4 or IPv6: 192.0.2.7, 192.0.2.0/24, 2001:db8::/32."))
    action = models.CharField(_("action"), max_length=5, choices=IPRuleAction)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Text, like the audit log's actor: deleting a user must not delete or rewrite their rules.
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
    why each default is what it is). Each detection declares its settings, typed and with
    their defaults (m365admin/registry/detections.py); a tenant's values are one JSON object,
    so a new detection's thresholds need no column."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="detection",
                                  verbose_name=_("tenant"))
    thresholds = models.JSONField(
        _("thresholds"), default=registry.defaults, blank=True,
        validators=[registry.validate_settings],
        help_text=_("Each detection's settings by name; a missing one is at its default."))
    # The posture page's, not a detection's.
    inactive_days = models.PositiveIntegerField(
        _("inactive accounts: days without sign-in"), default=30,
        choices=[(14, "14"), (30, "30"), (60, "60"), (90, "90")])

    class Meta:
        verbose_name = _("detection settings")
        verbose_name_plural = _("detection settings")

    def __str__(self) -> str:
        return str(self.tenant)

    def value(self, name: str) -> int | str:
        """The tenant's value of a detection setting, or its default when it has none."""
        return self.thresholds.get(name, registry.SETTINGS[name].default)

    @classmethod
    def expose(cls, settings: dict[str, registry.Setting]) -> None:
        """Make each setting an attribute (read: `value`; written into `thresholds`), so
        detections read `ctx.settings.spray_minutes` and
        `DetectionSettings.objects.create(tenant=t, spray_minutes=30)` works."""
        for name, setting in settings.items():
            if hasattr(cls, name):
                continue

            def read(self, name=name):
                return self.value(name)

            def write(self, value, name=name):
                self.thresholds[name] = value

            read.short_description = setting.label  # type: ignore[attr-defined]  # admin header
            setattr(cls, name, property(read, write))
        cls._meta.__dict__.pop("_property_names", None)  # Django caches the model's properties

    @staticmethod
    def lines(text: str) -> set[str]:
        return {line.strip().lower() for line in text.splitlines() if line.strip()}


class DetectionException(models.Model):
    """An accepted risk: matching future events are suppressed until it expires."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True,
                               verbose_name=_("tenant"), help_text=_("Empty for every tenant."))
    kind = models.CharField(_("detection"), max_length=40, blank=True,
                            choices=detection_kinds,
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
