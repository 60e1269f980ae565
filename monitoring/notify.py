"""Alert notifications: queue deliveries per channel, group bursts, send with retries.

Each channel sends through its kind's notifier (monitoring/notifiers/, the contract in
m365admin/registry/notifiers.py): `send(delivery, alerts)` returns the HTTP status (or None) on
success and raises `TransportError(message, permanent)` on failure; a config the kind cannot
use fails for good. The worker (a scheduler job) claims due deliveries with a conditional
update, so two schedulers never send one twice.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from m365admin.registry.notifiers import ConfigError, TransportError
from monitoring.choices import DeliveryStatus, NotificationEvent
from monitoring.models import Alert, Delivery, DeliveryAttempt, NotificationChannel
from monitoring.models.alerts import disabled_note

logger = logging.getLogger(__name__)

# A delivery claimed this long ago by a scheduler that died is taken up again.
CLAIM_TIMEOUT = timedelta(minutes=5)


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
        delivery.status_code = channel.notifier().send(delivery, alerts)
    except ConfigError as exc:  # changed behind the admin's back: retrying cannot help
        _failed(delivery, TransportError(f"bad channel config: {exc}", permanent=True), now)
    except Exception as exc:
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


def send_test(channel: NotificationChannel) -> Delivery:
    """A test message now, through the same transport, recorded in the delivery log (and
    retried like any other if the receiver is briefly away)."""
    now = timezone.now()
    delivery = Delivery.objects.create(channel=channel, event=NotificationEvent.TEST, due=now,
                                       status=DeliveryStatus.SENDING, claimed=now, created=now)
    _attempt(delivery, now)
    return delivery

