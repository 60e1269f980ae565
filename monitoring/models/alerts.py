"""Alert rules, the alerts they raise (one row per fingerprint while open), and silences."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin import audit
from m365admin.choices import SEVERITY_RANK, AlertSource, Component, Severity
from m365admin.models import Tenant
from m365admin.registry.detections import KINDS
from monitoring import feed as alert_feed
from monitoring.alerts.titles import alert_title, rule_title
from monitoring.choices import OPEN_STATUSES, AlertStatus, Comparison

# What each source observes, and whether the value is a percentage (validated 0–100).
METRICS: dict[str, dict[str, bool]] = {
    AlertSource.METRIC: {"cpu": True, "memory": True, "swap": True, "disk": True},
    AlertSource.COMPONENT: {c.value: False for c in Component},
    AlertSource.REQUESTS: {"p95": False, "p99": False, "error_rate": True},
    AlertSource.SYNC: {"consecutive_failures": False},
    AlertSource.SERVICE_HEALTH: {"level": False},
    AlertSource.NOTIFICATION: {"failing": False},
    AlertSource.SUBSCRIPTION: {"needs_attention": False},
}


def source_metrics(source: str) -> dict[str, bool]:
    """What a source observes; security events by kind, read when asked (the kinds register
    when security's app loads, after this module)."""
    if source == AlertSource.SECURITY:
        return dict.fromkeys(KINDS, False)
    return METRICS.get(source, {})


# Sources whose alerts are incidents; every other source raises condition alerts.
INCIDENT_SOURCES = (AlertSource.SECURITY,)


def is_incident_source(source: str) -> bool:
    return source in INCIDENT_SOURCES

# The audit action of each move a person makes.
AUDITED_MOVES = {AlertStatus.ACKNOWLEDGED: "acknowledge", AlertStatus.RESOLVED: "resolve"}


class AlertConflict(Exception):
    """A move the alert does not allow now (the API answers 409). `reason` is one of
    "status" (already moved on), "holds" (its condition still holds) or "note" (an incident
    is resolved with a note), for reports that count conflicts by kind."""

    def __init__(self, message: str, *, reason: str = "status") -> None:
        super().__init__(message)
        self.reason = reason


class AlertRule(models.Model):
    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=20, choices=AlertSource)
    metric = models.CharField(
        _("metric"), max_length=40,
        # The names to type, marked as such (the admin shows help text as HTML).
        help_text=_("System metric: <code>cpu</code>, <code>memory</code>, <code>swap</code>, "
                    "<code>disk</code>. Component: its name. Requests: <code>p95</code>, "
                    "<code>p99</code> (ms), <code>error_rate</code> (%). Collectors: "
                    "<code>consecutive_failures</code>. Service health: <code>level</code> "
                    "(1 degraded, 2 interrupted)."),
    )
    comparison = models.CharField(_("comparison"), max_length=3, choices=Comparison)
    threshold = models.FloatField(_("threshold"))
    for_seconds = models.PositiveIntegerField(
        _("for (seconds)"), default=60, validators=[MinValueValidator(1)],
        help_text=_("How long the condition must hold before the alert fires."),
    )
    hysteresis = models.FloatField(
        _("hysteresis"), default=0.0, validators=[MinValueValidator(0.0)],
        help_text=_("How far back past the threshold the value must go before the alert "
                    "resolves, so a value hovering at the threshold does not flap."),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("tenant"),
        help_text=_("Only this tenant's observations; empty for all."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["source", "name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Disabling a rule (admin, shell, any caller of save) closes its alerts at once: it
        watches nothing any more, so nothing would ever resolve them."""
        was_enabled = self.pk is not None and AlertRule.objects.filter(
            pk=self.pk, enabled=True).exists()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if was_enabled and not self.enabled:
                # Imported here: the alerting module imports the models.
                from monitoring.alerts.alerting import close_alerts_of_disabled_rule

                close_alerts_of_disabled_rule(self)

    @property
    def title(self) -> str:
        """The name in the active language when it is one the migrations seeded."""
        return rule_title(self.name)

    @property
    def is_incident(self) -> bool:
        """An incident (something happened) stays open until a person resolves it; a condition
        fires and clears with what it watches (docs/monitoring.md, "Two kinds of alert")."""
        return is_incident_source(self.source)

    def clean(self) -> None:
        metrics = source_metrics(self.source)
        if self.metric not in metrics:
            raise ValidationError({"metric": _("Choose one of: %(metrics)s.") % {
                "metrics": ", ".join(metrics)}})
        if metrics[self.metric] and not 0 <= self.threshold <= 100:
            raise ValidationError({"threshold": _("A percentage is between 0 and 100.")})

    def breached(self, value: float) -> bool:
        return _compare(self.comparison, value, self.threshold)

    def cleared(self, value: float) -> bool:
        """Past the threshold by the hysteresis, the other way (the alert may resolve)."""
        if self.comparison == Comparison.EQ:
            return value != self.threshold
        back = self.hysteresis if self.comparison in (Comparison.GT, Comparison.GTE) else -self.hysteresis
        return not _compare(self.comparison, value, self.threshold - back)


def acting_person():
    """The signed-in person of the current request (audit's caller), or None."""
    user = audit.current_caller.get().user
    return user if getattr(user, "is_authenticated", False) else None


def disabled_note(what: str) -> str:
    """"Rule disabled by alice": the stored, language-neutral note (like "cleared: cpu 12") of
    what disabling something did, naming the person of the current request when there is one."""
    person = acting_person()
    return f"{what} disabled by {person.get_username()}" if person else f"{what} disabled"


def _compare(comparison: str, value: float, threshold: float) -> bool:
    return {
        Comparison.GT: value > threshold, Comparison.GTE: value >= threshold,
        Comparison.LT: value < threshold, Comparison.LTE: value <= threshold,
        Comparison.EQ: value == threshold,
    }[comparison]


def fingerprint(rule: AlertRule, labels: dict[str, str]) -> str:
    """The identity of a condition: the same rule and labels update one alert."""
    return fingerprint_of(str(rule.code), labels_text(labels))


def labels_text(labels: dict[str, str]) -> str:
    return json.dumps(labels, sort_keys=True)


def fingerprint_of(rule_code: str, labels: str) -> str:
    """fingerprint() from the rule's code and labels_text(): the evaluator pairs every rule
    with the same observations, so it writes each part once. The text hashed is
    json.dumps([rule_code, labels], sort_keys=True), as it always was."""
    return hashlib.sha256(f'["{rule_code}", {labels}]'.encode()).hexdigest()


# An alert's severity as a number (higher is worse), for ordering in the database.
SEVERITY_ORDER = models.Case(
    *(models.When(severity=s, then=models.Value(r)) for s, r in SEVERITY_RANK.items()),
    output_field=models.IntegerField(),
)
# The worst first, then the most recently seen: the order of the panel and of /alerts/.
URGENCY = ("-severity_rank", "-last_seen", "-id")


class AlertQuerySet(models.QuerySet["Alert"]):
    def open(self) -> AlertQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def with_severity_rank(self) -> AlertQuerySet:
        return self.annotate(severity_rank=SEVERITY_ORDER)


class Alert(models.Model):
    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, verbose_name=_("rule"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    labels = models.JSONField(_("labels"), default=dict)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("tenant")
    )
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity)
    summary = models.CharField(_("summary"), max_length=500)
    value = models.FloatField(_("current value"), null=True)
    count = models.PositiveIntegerField(_("times seen"), default=1)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    fired = models.DateTimeField(_("fired"), null=True, blank=True)
    acknowledged = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("acknowledged by"),
    )
    resolved = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("resolved by"),
        help_text=_("Empty when the condition cleared by itself."),
    )
    silenced = models.BooleanField(_("silenced"), default=False)
    # While the alert that explains this one fires (the database down explains slow requests),
    # this one is held back: not counted as open, never notified, linked to its cause.
    inhibited_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="inhibits",
        verbose_name=_("held back by"),
    )
    # An incident that happens again after a person resolved it opens a new alert linked here.
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("previous occurrence"),
    )

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            # Deduplication: one unresolved alert per condition, whatever races the evaluator.
            models.UniqueConstraint(
                fields=["fingerprint"], condition=~Q(status=AlertStatus.RESOLVED),
                name="alert_one_open_per_fingerprint",
            ),
        ]
        indexes = [
            # The evaluator's and the dashboard's unresolved alerts (a small, hot subset).
            models.Index(
                fields=["status"], condition=~Q(status=AlertStatus.RESOLVED), name="alert_unresolved"
            ),
            # The admin list and the API, newest first.
            models.Index(fields=["-last_seen", "-id"], name="alert_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("monitoring:alert-detail", args=[self.code])

    @property
    def title(self) -> str:
        """The summary in the active language (monitoring.alerts.titles); `summary` is the
        stored, language-neutral record."""
        return alert_title(self.rule.name, self.labels, self.summary)

    def acknowledge(self, user, note: str = "") -> None:
        """Firing → acknowledged; anything else is an AlertConflict."""
        now = timezone.now()
        self._transition([AlertStatus.FIRING], AlertStatus.ACKNOWLEDGED, user, note,
                         acknowledged=now, acknowledged_by=user)

    def resolve(self, user, note: str = "") -> None:
        """Firing or acknowledged → resolved by a person; resolving twice is an AlertConflict,
        and so is resolving a condition that still holds (`still_holds`)."""
        now = timezone.now()
        self._transition(list(OPEN_STATUSES), AlertStatus.RESOLVED, user, note,
                         resolved=now, resolved_by=user)

    def still_holds(self, now=None) -> bool:
        """A condition alert whose rule is enabled, whose last value breached it and which was
        observed lately: resolving it would only see it fire again, so it may not be resolved.
        Incidents never "still hold": a person decides when they are over."""
        rule = self.rule
        if rule.is_incident or not rule.enabled or self.value is None:
            return False
        fresh = timedelta(seconds=STALE_INTERVALS * settings.MONITORING_INTERVAL)
        return rule.breached(self.value) and self.last_seen >= (now or timezone.now()) - fresh

    def _transition(self, allowed, status: str, user, note: str, **fields) -> None:
        with transaction.atomic():
            # Locked and read again: of two people acting at once, one wins, the other is told.
            current = Alert.objects.select_for_update().select_related("rule").filter(
                pk=self.pk).first()
            if current is None or current.status not in allowed:
                raise AlertConflict(
                    _("This alert is already %(status)s.") % {
                        "status": current.get_status_display().lower() if current
                        else _("deleted")
                    }
                )
            if status == AlertStatus.RESOLVED and current.still_holds():
                raise AlertConflict(current.holding_reason(), reason="holds")
            if status == AlertStatus.RESOLVED and current.rule.is_incident and not note.strip():
                raise AlertConflict(_("Say in a note what was found or done: an incident is "
                                      "resolved by a person, with a note."), reason="note")
            current = current.status
            Alert.objects.filter(pk=self.pk).update(status=status, **fields)
            step = AlertTransition.objects.create(
                alert=self, from_status=current, to_status=status, actor=user, note=note
            )
            alert_feed.publish([step])
            audit.record(f"alert.{AUDITED_MOVES[status]}", self,
                         {"from": current, "to": status, "note": note}, user=user)
        self.status = status
        for name, value in fields.items():
            setattr(self, name, value)


    def holding_reason(self) -> str:
        """Why a firing condition cannot be resolved, in one line for the page and the API."""
        return _("Its condition still holds (%(metric)s %(value)s %(comparison)s %(threshold)s): "
                 "acknowledge or silence it; it resolves by itself once the condition clears."
                 ) % {"metric": self.rule.metric, "value": f"{self.value:g}",
                      "comparison": self.rule.get_comparison_display(),
                      "threshold": f"{self.rule.threshold:g}"}


# A condition not observed for this many monitoring intervals is no longer known to hold
# (its source stopped reporting it): a person may resolve it.
STALE_INTERVALS = 3


class AlertTransition(models.Model):  # noqa: DJ008 — shown as history lines, not by name
    """Who moved an alert, when, and why (the scheduler's moves have no actor)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions",
                              verbose_name=_("alert"))
    from_status = models.CharField(_("from"), max_length=16, choices=AlertStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=AlertStatus)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("alert transition")
        verbose_name_plural = _("alert transitions")


class SilenceQuerySet(models.QuerySet["Silence"]):
    def active(self, now=None) -> SilenceQuerySet:
        now = now or timezone.now()
        return self.filter(starts__lte=now, ends__gt=now)


class Silence(models.Model):
    """Mutes matching alerts until `ends` (Alertmanager's silences): still tracked, not counted
    as open on the dashboard and never notified."""

    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, null=True, blank=True,
                             verbose_name=_("rule"), help_text=_("Empty for any rule."))
    matchers = models.JSONField(
        _("label matchers"), default=dict, blank=True,
        help_text=_('Labels that must all be equal, e.g. {"component": "graph"}.'),
    )
    starts = models.DateTimeField(_("starts"), default=timezone.now)
    ends = models.DateTimeField(_("ends"))
    reason = models.CharField(_("reason"), max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("author"))
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = SilenceQuerySet.as_manager()

    class Meta:
        ordering = ["-ends"]
        verbose_name = _("silence")
        verbose_name_plural = _("silences")

    def __str__(self) -> str:
        return self.reason

    def clean(self) -> None:
        if self.ends and self.starts and self.ends <= self.starts:
            raise ValidationError({"ends": _("A silence must end after it starts.")})
        if not isinstance(self.matchers, dict) or not all(
            isinstance(v, str) for v in self.matchers.values()
        ):
            raise ValidationError({"matchers": _('Give labels as {"name": "value"}.')})

    def matches(self, rule_id: int, labels: dict[str, str]) -> bool:
        if self.rule_id is not None and self.rule_id != rule_id:
            return False
        return all(labels.get(name) == value for name, value in self.matchers.items())

    @classmethod
    def create(cls, *, rule: AlertRule | None, matchers: dict[str, str], ends, reason: str,
               author) -> Silence:
        """A silence starting now, applied to the open alerts at once and audited."""
        with transaction.atomic():
            silence = cls.objects.create(rule=rule, matchers=matchers, ends=ends, reason=reason,
                                         author=author)
            audit.record("silence.create", silence, {
                "rule": rule.name if rule else None, "matchers": matchers, "ends": ends,
                "reason": reason}, user=author)
            refresh_silenced()
        return silence

    def expire(self, user) -> bool:
        """End it now (compare-and-set: False when it had already ended), audited."""
        now = timezone.now()
        with transaction.atomic():
            if not Silence.objects.filter(pk=self.pk, ends__gt=now).update(ends=now):
                return False
            audit.record("silence.expire", self, {"reason": self.reason}, user=user)
            refresh_silenced(now)
        self.ends = now
        return True


def refresh_silenced(now=None) -> None:
    """Mark the unresolved alerts that the active silences match, and unmark the others: a
    silence takes effect (or ends) at once, not only at the next tick for observed alerts."""
    silences = list(Silence.objects.active(now))
    muted, loud = [], []
    for pk, rule_id, labels, silenced in Alert.objects.exclude(
            status=AlertStatus.RESOLVED).values_list("pk", "rule_id", "labels", "silenced"):
        now_silenced = any(s.matches(rule_id, labels) for s in silences)
        if now_silenced != silenced:
            (muted if now_silenced else loud).append(pk)
    Alert.objects.filter(pk__in=muted).update(silenced=True)
    Alert.objects.filter(pk__in=loud).update(silenced=False)


def silenced_until(alert: Alert, silences: list[Silence]):
    """When the last of the active `silences` muting the alert ends (its badge's time)."""
    return muted_until(alert.silenced, alert.rule_id, alert.labels, silences)


def muted_until(silenced: bool, rule_id: int, labels: dict[str, str], silences: list[Silence]):
    """silenced_until from an alert's values (the API's list reads no Alert objects)."""
    if not silenced:
        return None
    return max((s.ends for s in silences if s.matches(rule_id, labels)), default=None)
