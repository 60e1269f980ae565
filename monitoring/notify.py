"""Alert notifications: queue deliveries per channel, group bursts, send with retries.

Transports follow one contract: `send(channel, body)` returns the HTTP status (or None) on
success and raises `TransportError(message, permanent)` on failure. The worker (a scheduler
job) claims due deliveries with a conditional update, so two schedulers never send one twice.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import timedelta

import msgspec
import requests
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from monitoring import chatcards
from monitoring.alert_reasons import why
from monitoring.choices import ChannelKind, DeliveryStatus, NotificationEvent
from monitoring.models import Alert, Delivery, DeliveryAttempt, NotificationChannel
from monitoring.models.alerts import disabled_note
from monitoring.models.notifications import UnsafeTarget, check_webhook_target
from security.models import Preference

logger = logging.getLogger(__name__)

# A delivery claimed this long ago by a scheduler that died is taken up again.
CLAIM_TIMEOUT = timedelta(minutes=5)


class TransportError(Exception):
    def __init__(self, message: str, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


def enqueue(event: str, alerts: list[Alert], now=None) -> None:
    """Add alerts to each interested channel's open group (or start one, due after the window)."""
    now = now or timezone.now()
    alerts = [a for a in alerts if not a.silenced and a.inhibited_by_id is None]
    if not alerts:
        return
    for channel in NotificationChannel.objects.filter(enabled=True):
        wanted = [alert for alert in alerts if channel.wants(alert)]
        if not wanted:
            continue
        with transaction.atomic():
            delivery = (
                Delivery.objects.select_for_update()
                .filter(channel=channel, event=event, status=DeliveryStatus.QUEUED,
                        attempts=0, due__gt=now)
                .first()
            )
            if delivery is None:
                delivery = Delivery.objects.create(
                    channel=channel, event=event,
                    due=now + timedelta(seconds=settings.NOTIFY_GROUP_SECONDS), created=now,
                )
            delivery.alerts.add(*wanted)


def deliver_due(now=None) -> int:
    """Send every due delivery; returns how many were attempted."""
    now = now or timezone.now()
    # A channel disabled without NotificationChannel.save (a bulk update) sends nothing either.
    Delivery.objects.filter(channel__enabled=False, due__lte=now).cancel(
        disabled_note("Channel"))
    due = Delivery.objects.filter(
        Q(status=DeliveryStatus.QUEUED, due__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed__lt=now - CLAIM_TIMEOUT)
    ).order_by("due").values_list("pk", "status")
    attempted = 0
    for pk, status in due[:100]:
        # Claim: only one scheduler's update can match the status it read.
        if Delivery.objects.filter(pk=pk, status=status).update(
            status=DeliveryStatus.SENDING, claimed=now
        ):
            attempted += 1
            _attempt(Delivery.objects.select_related("channel").get(pk=pk), now)
    return attempted


def _attempt(delivery: Delivery, now) -> None:
    """One try, whatever goes wrong in it: the delivery leaves `sending` (sent, queued for a
    retry or failed, with the reason) and the try is kept in its history."""
    channel = delivery.channel
    started = time.perf_counter()
    delivery.attempts += 1
    try:
        alerts = list(delivery.alerts.select_related("rule", "tenant")
                      .order_by("-severity", "pk"))
        delivery.status_code = TRANSPORTS[channel.kind](channel, delivery, alerts)
    except Exception as exc:  # a bug or a bad backend must not leave it sending
        if not isinstance(exc, TransportError):
            logger.exception("notification failed delivery=%s", delivery.pk)
            exc = TransportError(f"{type(exc).__name__}: {exc}")
        _failed(delivery, exc, now)
    else:
        delivery.status, delivery.sent, delivery.error = DeliveryStatus.SENT, now, ""
        if channel.failing:
            NotificationChannel.objects.filter(pk=channel.pk).update(failing=False)
    delivery.duration_ms = (time.perf_counter() - started) * 1000
    with transaction.atomic():
        delivery.save(update_fields=["status", "status_code", "error", "due", "attempts",
                                     "sent", "duration_ms"])
        DeliveryAttempt.objects.create(
            delivery=delivery, at=now, status_code=delivery.status_code, error=delivery.error,
            duration_ms=delivery.duration_ms)


def _failed(delivery: Delivery, exc: TransportError, now) -> None:
    """Retry later with exponential backoff (30 s, 60 s, 120 s …), or give up and mark the
    channel failing."""
    channel = delivery.channel
    delivery.status_code, delivery.error = exc.status, str(exc)[:500]
    last = exc.permanent or delivery.attempts_this_round >= settings.NOTIFY_MAX_ATTEMPTS
    delivery.status = DeliveryStatus.FAILED if last else DeliveryStatus.QUEUED
    delivery.due = now + timedelta(
        seconds=settings.NOTIFY_RETRY_SECONDS * 2 ** (delivery.attempts_this_round - 1))
    if last and not channel.failing:
        NotificationChannel.objects.filter(pk=channel.pk).update(failing=True)
        logger.warning("notification channel failing channel=%s error=%s", channel, exc)


def send_email(channel: NotificationChannel, delivery: Delivery, alerts: list[Alert]) -> None:
    """One message per recipient, in their language and time zone when the address is that of
    a person here who chose them (else LANGUAGE_CODE and TIME_ZONE_DEFAULT), with links to the
    alerts (PUBLIC_URL)."""
    recipients = channel.recipients()
    preferences = Preference.objects.by_email(recipients)
    messages = []
    for address in recipients:
        chosen = preferences.get(address.lower())
        zone = (chosen and chosen.time_zone) or settings.TIME_ZONE_DEFAULT
        language = (chosen and chosen.language) or settings.LANGUAGE_CODE
        with timezone.override(zone), translation.override(language):
            for alert in alerts:
                alert.why = why(alert)  # why it holds, in this recipient's language
            context = {"event": delivery.event, "zone": zone,
                       "entries": [(alert, chatcards.link(alert)) for alert in alerts],
                       "alerts_link": chatcards.link()}
            subject = render_to_string("monitoring/notifications/subject.txt", context).strip()
            body = render_to_string("monitoring/notifications/body.txt", context)
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
    try:
        with mail.mailers.default as connection:
            connection.send_messages(messages)
    except OSError as exc:  # smtplib's errors are OSErrors: connection refused, timeouts …
        raise TransportError(f"email not sent: {exc}") from None


def webhook_body(delivery: Delivery, alerts: list[Alert]) -> bytes:
    return msgspec.json.encode({
        "event": delivery.event,
        "alerts": [{
            "code": str(a.code), "rule": a.rule.name, "source": a.rule.source,
            "severity": a.severity, "status": a.status, "summary": a.summary,
            "title": a.title, "why": why(a),
            "labels": a.labels, "value": a.value,
            "tenant": str(a.tenant.code) if a.tenant else None,
            "first_seen": a.first_seen.isoformat(),
            "resolved": a.resolved.isoformat() if a.resolved else None,
        } for a in alerts],
    })


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" (Stripe's and Slack's scheme): a receiver that
    checks the timestamp is recent cannot be fed a recorded request again (docs/monitoring.md)."""
    signed = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def send_webhook(channel: NotificationChannel, delivery: Delivery, alerts: list[Alert]) -> int:
    body = webhook_body(delivery, alerts)
    headers = {}
    if channel.secret_encrypted:
        timestamp = int(time.time())  # the receiver's clock checks it, not the scheduler's `now`
        headers["X-Signature-Timestamp"] = str(timestamp)
        headers["X-Signature"] = signature(channel.secret(), timestamp, body)
    return _post(channel, body, headers)


def send_teams(channel: NotificationChannel, delivery: Delivery, alerts: list[Alert]) -> int:
    return _post(channel, msgspec.json.encode(chatcards.teams_card(delivery, alerts)))


def send_slack(channel: NotificationChannel, delivery: Delivery, alerts: list[Alert]) -> int:
    return _post(channel, msgspec.json.encode(chatcards.slack_message(delivery, alerts)))


def _post(channel: NotificationChannel, body: bytes, headers: dict | None = None) -> int:
    """POST a JSON body to the channel's URL: the one place that speaks HTTP to receivers."""
    try:
        check_webhook_target(channel.url)  # again: the name may resolve elsewhere by now
    except UnsafeTarget as exc:
        raise TransportError(str(exc), permanent=True) from None
    headers = {"Content-Type": "application/json", "User-Agent": "m365admin", **(headers or {})}
    try:
        response = requests.post(channel.url, data=body, headers=headers,
                                 timeout=channel.timeout, allow_redirects=False)
    except requests.Timeout:
        raise TransportError(f"no answer within {channel.timeout:g} s") from None
    except requests.RequestException as exc:
        raise TransportError(f"cannot reach the webhook: {type(exc).__name__}") from None
    if response.status_code >= 300:
        # 4xx but 408/429 will not get better by retrying: the receiver refuses this request.
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise TransportError(f"HTTP {response.status_code}", permanent, response.status_code)
    return response.status_code


def send_test(channel: NotificationChannel) -> Delivery:
    """A test message now, through the same transport, recorded in the delivery log (and
    retried like any other if the receiver is briefly away)."""
    now = timezone.now()
    delivery = Delivery.objects.create(channel=channel, event=NotificationEvent.TEST, due=now,
                                       status=DeliveryStatus.SENDING, claimed=now, created=now)
    _attempt(delivery, now)
    return delivery


TRANSPORTS = {ChannelKind.EMAIL: send_email, ChannelKind.WEBHOOK: send_webhook,
              ChannelKind.TEAMS: send_teams, ChannelKind.SLACK: send_slack}
