"""Where alerts are sent (channels, configured in the admin) and each delivery, queued in the
database so that it survives a restart of the scheduler."""

from __future__ import annotations

import uuid

import msgspec
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import SEVERITY_RANK, AlertSource, Severity
from m365admin.lib import crypto
from m365admin.lib.fields import EncryptedTextField
from m365admin.models import Tenant
from m365admin.registry import notifiers
from monitoring.choices import DeliveryStatus, NotificationEvent
from monitoring.models.alerts import Alert, disabled_note


class NotificationChannel(models.Model):
    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    # The kinds are the registered notifiers (monitoring/notifiers/), each with its own config.
    kind = models.CharField(_("kind"), max_length=10, choices=notifiers.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Routing: which alerts this channel hears about.
    min_severity = models.CharField(
        _("minimum severity"), max_length=10, choices=Severity, default=Severity.WARNING
    )
    sources = models.JSONField(
        _("sources"), default=list, blank=True,
        help_text=_("Alert sources this channel receives, e.g. [\"metric\", \"component\"]; "
                    "empty for all."),
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("tenant"),
        help_text=_("Only this tenant's alerts; empty for all alerts."),
    )
    # What the kind needs (addresses, a URL …), checked by its notifier's config class.
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    # The kind's one secret, if it has one (a webhook's HMAC signing key).
    secret_encrypted = EncryptedTextField(_("signing secret (encrypted)"))
    failing = models.BooleanField(_("failing"), default=False, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Disabling a channel (admin, shell, any caller of save) cancels what it still had
        queued: nothing goes out through a channel someone turned off."""
        was_enabled = self.pk is not None and NotificationChannel.objects.filter(
            pk=self.pk, enabled=True).exists()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if was_enabled and not self.enabled:
                self.deliveries.filter(status=DeliveryStatus.QUEUED).cancel(
                    disabled_note("Channel"))

    def set_secret(self, plaintext: str) -> None:
        self.secret_encrypted = crypto.encrypt(plaintext)

    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def notifier(self) -> notifiers.Notifier:
        """This channel's notifier, with its typed config and decrypted secret (raises
        ConfigError, or crypto.SecretUnreadable). Each notifier re-checks what can change
        after the save (a URL's address) as it sends."""
        kind = notifiers.get(self.kind)
        return kind(kind.load(self.config), self.secret() if self.secret_encrypted else "")

    def clean(self) -> None:
        """Sources, and the config checked by the kind's notifier: errors are keyed by config
        field (the admin form has a field of each name) and the config is stored normalised."""
        errors = {}
        if not isinstance(self.sources, list) or not set(self.sources) <= set(AlertSource.values):
            errors["sources"] = _("Choose from: %(sources)s.") % {
                "sources": ", ".join(AlertSource.values)}
        try:
            kind = notifiers.get(self.kind)
            self.config = msgspec.to_builtins(kind.parse(self.config))
        except notifiers.ConfigError as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)

    def wants(self, alert: Alert) -> bool:
        """Routing: severity, source and tenant."""
        return (
            SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[self.min_severity]
            and (not self.sources or alert.rule.source in self.sources)
            and (self.tenant_id is None or alert.tenant_id == self.tenant_id)
        )


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def cancel(self, reason: str) -> int:
        """Queued deliveries that must not go out: cancelled, with the reason as their error."""
        return self.filter(status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.CANCELLED, error=reason[:500], claimed=None)


class Delivery(models.Model):
    """One message to one channel: a group of alerts that fired (or resolved) together.

    The queue: a queued delivery is sent once `due` passes (the grouping window, then the
    retry backoff), claimed with a conditional update so that no two schedulers send it.
    """

    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE,
                                related_name="deliveries", verbose_name=_("channel"))
    event = models.CharField(_("event"), max_length=10, choices=NotificationEvent)
    alerts = models.ManyToManyField(Alert, related_name="deliveries", verbose_name=_("alerts"))
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus,
                              default=DeliveryStatus.QUEUED)
    due = models.DateTimeField(_("due"))
    claimed = models.DateTimeField(_("claimed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # "Send again" gives a failed delivery a new round of NOTIFY_MAX_ATTEMPTS without erasing
    # the attempts made before it: the retry limit and backoff count from here.
    attempts_before_resend = models.PositiveSmallIntegerField(
        _("attempts before sending again"), default=0, editable=False)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=500, blank=True)
    duration_ms = models.FloatField(_("duration (ms)"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    sent = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            # The worker's queue: what is waiting, by when it is due.
            models.Index(fields=["due"], condition=Q(status__in=["queued", "sending"]),
                         name="delivery_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.get_event_display()} ({self.get_status_display()})"

    @property
    def attempts_this_round(self) -> int:
        """Attempts since it was queued (or sent again): what the retry limit counts."""
        return self.attempts - self.attempts_before_resend


class DeliveryAttempt(models.Model):
    """One try at sending a delivery, kept as its history (the delivery holds only the last)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="history",
                                 verbose_name=_("delivery"))
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.FloatField(_("duration (ms)"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S}"
