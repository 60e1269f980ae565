"""Email: one message per recipient, in their language and time zone."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from django import forms
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import EmailValidator
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from m365admin.models.preferences import Preference
from m365admin.registry.notifiers import ConfigError, Notifier, TransportError, notifier
from monitoring import chatcards
from monitoring.alerts.reasons import why
from monitoring.models import Alert, Delivery


def split_addresses(text: str) -> list[str]:
    """Addresses typed one per line or separated by commas."""
    return [address.strip() for address in re.split(r"[,\n]", text) if address.strip()]


class AddressListField(forms.CharField):
    """A text box of addresses, stored as a list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return split_addresses(super().to_python(value) or "")

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value


class EmailConfig(msgspec.Struct, forbid_unknown_fields=True):
    emails: list[str]


@notifier
class EmailNotifier(Notifier):
    kind = "email"
    label = _("Email")
    config_class = EmailConfig
    form_fields = {
        "emails": AddressListField(label=_("email addresses"), required=False, help_text=_(
            "One or more, separated by commas or new lines.")),
    }
    config: EmailConfig

    @classmethod
    def check(cls, config: EmailConfig) -> None:
        if not config.emails:
            raise ConfigError({"emails": _("Give at least one email address.")})
        for address in config.emails:
            try:
                EmailValidator()(address)
            except ValidationError:
                raise ConfigError({"emails": _("%(address)s is not an email address.") % {
                    "address": address}}) from None

    def send(self, delivery: Delivery, alerts: list[Alert]) -> None:
        """One message per recipient, in their language and time zone when the address is that
        of a person here who chose them (else LANGUAGE_CODE and TIME_ZONE_DEFAULT), with links
        to the alerts (PUBLIC_URL)."""
        recipients = self.config.emails
        preferences = Preference.objects.by_email(recipients)
        messages = []
        for address in recipients:
            chosen = preferences.get(address.lower())
            zone = (chosen and chosen.time_zone) or settings.TIME_ZONE_DEFAULT
            language = (chosen and chosen.language) or settings.LANGUAGE_CODE
            with timezone.override(zone), translation.override(language):
                for alert in alerts:
                    alert.why = why(alert)  # type: ignore[attr-defined]  # in their language
                context = {"event": delivery.event, "zone": zone,
                           "entries": [(alert, chatcards.link(alert)) for alert in alerts],
                           "alerts_link": chatcards.link()}
                subject = render_to_string("monitoring/notifications/subject.txt",
                                           context).strip()
                body = render_to_string("monitoring/notifications/body.txt", context)
            messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
        try:
            with mail.mailers.default as connection:
                connection.send_messages(messages)
        except OSError as exc:  # smtplib's errors are OSErrors: connection refused, timeouts …
            raise TransportError(f"email not sent: {exc}") from None
