"""Webhook: the alerts as JSON, signed with the channel's secret (X-Signature)."""

from __future__ import annotations

import hashlib
import hmac
import time

import msgspec
from django.utils.translation import gettext_lazy as _

from m365admin.registry.notifiers import notifier
from monitoring.alerts.reasons import why
from monitoring.models import Alert, Delivery
from monitoring.notifiers.base import HttpNotifier


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


@notifier
class WebhookNotifier(HttpNotifier):
    kind = "webhook"
    label = _("Webhook")
    secret_required = _("A webhook channel needs a signing secret.")

    def send(self, delivery: Delivery, alerts: list[Alert]) -> int:
        body = webhook_body(delivery, alerts)
        headers = {}
        if self.secret:
            timestamp = int(time.time())  # the receiver's clock checks it, not the scheduler's
            headers["X-Signature-Timestamp"] = str(timestamp)
            headers["X-Signature"] = signature(self.secret, timestamp, body)
        return self.post(body, headers)
