"""Backfills stay quiet: findings whose evidence is already old when first found are recorded
as historical, open no alert and notify nobody; a fresh finding still alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from collectors.sync.runner import run_collector
from m365admin.choices import Collector, SyncStatus
from m365admin.models import SignIn
from monitoring import alerting
from monitoring.models import Alert, NotificationChannel
from security.choices import EventKind
from security.detections import runner
from security.models import SecurityEvent
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rules_and_channel(default_rules):
    return NotificationChannel.objects.create(name="ops", kind="webhook",
                                              url="https://hooks.example.com/ops")


def test_the_first_sync_of_thirty_days_alerts_only_about_the_last_day(make_sim_tenant,
                                                                     rules_and_channel):
    tenant, _spec = make_sim_tenant(users=60, signins=3000, days=30, seed=11)
    for collector in (Collector.USERS, Collector.SIGNINS):
        run = run_collector(tenant, collector)
        assert run.status == SyncStatus.SUCCEEDED, run.error
    now = timezone.now()
    for i in range(3):
        alerting.evaluate(alerting.observe({}), now=now + timedelta(seconds=30 * i))
    events = SecurityEvent.objects.filter(tenant=tenant)
    history = events.filter(historical=True)
    day_ago = now - timedelta(hours=24)
    # The 29 older days are history: recorded, but no alert and no notification.
    assert history.count() > 0.9 * events.count() > 100
    assert not history.filter(window_end__gte=day_ago).exists()
    assert not events.filter(historical=False, window_end__lt=day_ago).exists()
    # What the last day found alerts, one alert per kind and account (or address).
    alerted = {(a.rule.metric, a.labels.get("user") or a.labels.get("ip"))
               for a in Alert.objects.select_related("rule")}
    fresh = {(e.kind, e.username or e.ip_address) for e in events.filter(historical=False)}
    assert alerted <= fresh and len(alerted) < 10
    sent = Alert.objects.filter(deliveries__isnull=False).distinct().count()
    assert sent == Alert.objects.filter(silenced=False).count()


def test_a_fresh_finding_still_opens_an_alert(rules_and_channel):
    tenant = make_tenant()
    now = timezone.now()
    # Twelve failures against one account from one address in two minutes: a brute force.
    make_rows(SignIn, tenant, 12, user_principal_name="kim@example.com", error_code=50126,
              ip_address="198.51.100.7", created=lambda i: now - timedelta(seconds=10 * i))
    runner.run(tenant)
    event = SecurityEvent.objects.get(tenant=tenant, kind=EventKind.BRUTE_FORCE)
    assert not event.historical
    alerting.evaluate(alerting.observe({}), now=now)
    alert = Alert.objects.get()
    assert (alert.rule.metric, alert.tenant) == (EventKind.BRUTE_FORCE, tenant)


def test_the_age_limit_is_a_setting(rules_and_channel, settings):
    settings.ALERT_MAX_EVENT_AGE_HOURS = 1
    tenant = make_tenant()
    old = timezone.now() - timedelta(hours=2)
    make_rows(SignIn, tenant, 12, user_principal_name="kim@example.com", error_code=50126,
              ip_address="198.51.100.7", created=lambda i: old - timedelta(seconds=10 * i))
    runner.run(tenant)
    assert SecurityEvent.objects.get(tenant=tenant, kind=EventKind.BRUTE_FORCE).historical
    alerting.evaluate(alerting.observe({}))
    assert not Alert.objects.exists()
