"""Backfills stay quiet: the findings of a tenant's initial sign-in sync, and later findings
whose evidence is already old when first found, are recorded as historical, open no alert and
notify nobody; a fresh finding, or an attack that goes on after the backfill, still alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from collectors.sync.runner import run_collector
from m365admin.choices import Collector, SyncStatus
from m365admin.models import SignIn, SyncRun
from monitoring.alerts import alerting
from monitoring.messages import Tick
from monitoring.models import Alert, Delivery, NotificationChannel
from security.choices import EventKind
from security.detections import runner
from security.detections.trigger import is_initial_backfill
from security.models import SecurityEvent
from tests.factories import make_rows, make_tenant
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rules_and_channel(default_rules):
    return NotificationChannel.objects.create(name="ops", kind="webhook",
                                              config={"url": "https://hooks.example.com/ops"})


def _sync_signins(tenant) -> None:
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    run_queued_tasks()  # the detections it queued


def _evaluate(times: int = 3) -> None:
    now = timezone.now()
    for i in range(times):
        alerting.evaluate(alerting.observe(Tick()), now=now + timedelta(seconds=30 * i))


def test_the_first_sync_of_thirty_days_opens_no_alert_and_the_attack_after_it_does(
        make_sim_tenant, rules_and_channel):
    tenant, spec = make_sim_tenant(users=60, signins=3000, days=30, seed=11)
    run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    _sync_signins(tenant)
    _evaluate()
    events = SecurityEvent.objects.filter(tenant=tenant)
    # Its whole history is on record, the last day's findings included, and pages no one.
    assert events.count() > 100
    assert events.filter(historical=True).count() == events.count()
    assert events.filter(window_end__gte=timezone.now() - timedelta(hours=24)).exists()
    assert not Alert.objects.exists()
    assert not Delivery.objects.exists()

    # Minutes later, someone tries twelve passwords against one account: that alerts.
    user = next(iter(spec.users.values()))
    now = datetime.now(UTC)
    spec.add_signins([
        {"userId": user["id"], "ipAddress": "198.51.100.7",
         "createdDateTime": (now - timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "status": {"errorCode": 50126, "failureReason": "Invalid username or password."}}
        for i in range(12)
    ])
    _sync_signins(tenant)
    _evaluate()
    (alert,) = Alert.objects.select_related("rule")
    assert (alert.rule.metric, alert.tenant, alert.status) == (
        EventKind.BRUTE_FORCE, tenant, "firing")
    assert Delivery.objects.filter(alerts=alert).exists()


def test_a_backfilled_attack_that_goes_on_turns_live_and_alerts(rules_and_channel):
    tenant = make_tenant()
    now = timezone.now()
    make_rows(SignIn, tenant, 12, user_principal_name="kim@example.com", error_code=50126,
              ip_address="198.51.100.7",
              created=lambda i: now - timedelta(minutes=3, seconds=10 * i))
    runner.run(tenant, backfill=True)
    event = SecurityEvent.objects.get(tenant=tenant, kind=EventKind.BRUTE_FORCE)
    assert event.historical  # minutes old, yet part of the backfill
    _evaluate()
    assert not Alert.objects.exists()
    # The same burst goes on after the backfill: the event turns live and alerts.
    make_rows(SignIn, tenant, 3, user_principal_name="kim@example.com", error_code=50126,
              ip_address="198.51.100.7", created=lambda i: now - timedelta(seconds=10 * i))
    runner.run(tenant)
    event.refresh_from_db()
    assert not event.historical and event.created > now
    assert event.details["sign_ins"] == 15
    _evaluate()
    assert Alert.objects.get().rule.metric == EventKind.BRUTE_FORCE


def test_only_the_tenants_first_signin_sync_is_its_backfill(make_sim_tenant):
    tenant, _spec = make_sim_tenant()
    first = SyncRun.objects.create(tenant=tenant, collector=Collector.SIGNINS)
    first.finish(SyncStatus.FAILED, error="cut off")
    again = SyncRun.objects.create(tenant=tenant, collector=Collector.SIGNINS)
    assert is_initial_backfill(first) and is_initial_backfill(again)  # a failed one counts not
    again.finish(SyncStatus.SUCCEEDED)
    later = SyncRun.objects.create(tenant=tenant, collector=Collector.SIGNINS)
    assert not is_initial_backfill(later)
    other = make_tenant()
    assert is_initial_backfill(SyncRun.objects.create(tenant=other, collector=Collector.SIGNINS))


def test_a_fresh_finding_still_opens_an_alert(rules_and_channel):
    tenant = make_tenant()
    now = timezone.now()
    # Twelve failures against one account from one address in two minutes: a brute force.
    make_rows(SignIn, tenant, 12, user_principal_name="kim@example.com", error_code=50126,
              ip_address="198.51.100.7", created=lambda i: now - timedelta(seconds=10 * i))
    runner.run(tenant)
    event = SecurityEvent.objects.get(tenant=tenant, kind=EventKind.BRUTE_FORCE)
    assert not event.historical
    alerting.evaluate(alerting.observe(Tick()), now=now)
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
    alerting.evaluate(alerting.observe(Tick()))
    assert not Alert.objects.exists()
