"""Deliveries are queued in the database: what a stopped scheduler left is sent by the next
(which enqueues the delivery task; a worker sends it)."""

from __future__ import annotations

import json
import time

import pytest

from tests.webhook_receiver import Receiver

# Run by `manage.py shell` in the site: an alert, a webhook channel to the receiver, and a
# firing delivery already due, as a scheduler that died before sending would leave them.
QUEUE_ONE = """
from datetime import timedelta
from django.utils import timezone
from monitoring import notify
from monitoring.models import Alert, AlertRule, NotificationChannel
rule = AlertRule.objects.get(name="{rule}")
alert = Alert.objects.create(rule=rule, fingerprint="f" * 64, status="firing",
                             severity=rule.severity, summary="disk full", value=97.0,
                             first_seen=timezone.now())
channel = NotificationChannel(name="hook", kind="webhook", config={{"url": "{url}", "timeout": 2.0}})
channel.set_secret("restart-secret")
channel.save()
notify.enqueue("firing", [alert], now=timezone.now() - timedelta(minutes=5))
"""


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_a_delivery_queued_before_a_restart_is_sent_by_the_next_scheduler(live_site, receiver):
    live_site.env.update(WEBHOOK_ALLOW_PRIVATE="True", MONITORING_INTERVAL="1")
    rule = live_site.query("SELECT name FROM monitoring_alertrule WHERE metric = 'disk'")[0][0]
    live_site.manage("shell", "-c", QUEUE_ONE.format(rule=rule, url=receiver.url))
    assert live_site.query("SELECT status FROM monitoring_delivery") == [("queued",)]

    live_site.start("scheduler", log="scheduler.log")
    live_site.start("worker", "--interval", "0.5", log="worker.log")
    deadline = time.monotonic() + 30
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.2)
    assert receiver.requests, live_site.log("scheduler.log")
    payload = json.loads(receiver.requests[0][1])
    assert payload["event"] == "firing"
    assert [a["summary"] for a in payload["alerts"]] == ["disk full"]
    deadline = time.monotonic() + 10
    while live_site.query("SELECT status FROM monitoring_delivery") != [("sent",)]:
        assert time.monotonic() < deadline, live_site.query("SELECT * FROM monitoring_delivery")
        time.sleep(0.2)
    assert len(receiver.requests) == 1  # sent once, not once per scheduler tick
