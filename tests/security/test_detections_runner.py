"""The detection runner: incremental by id, deduplicated, accepted risks, after each sync."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from m365admin.choices import Collector, SyncStatus
from m365admin.models import SignIn, SyncRun
from m365admin.registry import sync_steps
from security.choices import EventKind
from security.detections import runner
from security.models import DetectionException, SecurityEvent
from tests.factories import make_rows, make_tenant
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _legacy(tenant, n: int, *, at=T0, user="kim@contoso.com", code=0, client="IMAP"):
    return make_rows(SignIn, tenant, n, created=lambda i: at + timedelta(minutes=i),
                     user_principal_name=user, client_app_used=client, error_code=code,
                     ip_address="203.0.113.7", country="NL")


def test_a_legacy_success_is_an_error_and_a_failure_a_warning():
    tenant = make_tenant()
    _legacy(tenant, 2)
    _legacy(tenant, 3, code=50126, client="Authenticated SMTP")
    make_rows(SignIn, tenant, 5, created=T0, client_app_used="Browser")  # modern: nothing
    make_rows(SignIn, tenant, 1, created=T0, client_app_used="Quantum Mail 3000")  # unknown
    summary = runner.run(tenant)
    assert (summary.read, summary.recorded) == (11, 2)
    events = {e.severity: e for e in SecurityEvent.objects.filter(kind=EventKind.LEGACY_AUTH)}
    assert set(events) == {"error", "info"}
    assert events["error"].users == ["kim@contoso.com"]
    assert events["error"].details["sign_ins"] == 2 and len(events["error"].evidence) == 2
    assert events["info"].details["clients"] == ["Authenticated SMTP"]
    assert events["error"].countries == ["NL"] and events["error"].tenant == tenant


def test_runs_are_incremental_and_never_duplicate():
    tenant = make_tenant()
    _legacy(tenant, 2)
    runner.run(tenant)
    assert runner.run(tenant).read == 0  # nothing new: nothing read
    # More of the same day's legacy sign-ins, one arriving late with an earlier time.
    _legacy(tenant, 1, at=T0 + timedelta(hours=1))
    _legacy(tenant, 1, at=T0 - timedelta(hours=1))
    summary = runner.run(tenant)
    assert (summary.read, summary.recorded, summary.updated) == (2, 0, 1)
    (event,) = SecurityEvent.objects.filter(kind=EventKind.LEGACY_AUTH)
    assert event.details["sign_ins"] == 4 and len(event.evidence) == 4
    assert event.window_start == T0 - timedelta(hours=1)
    assert event.window_end == T0 + timedelta(hours=1)


def test_a_run_in_small_batches_finds_the_same(settings):
    tenant = make_tenant()
    _legacy(tenant, 7)
    summary = runner.run(tenant, batch=2)
    assert (summary.read, summary.recorded) == (7, 1)
    assert SecurityEvent.objects.get(kind=EventKind.LEGACY_AUTH).details["sign_ins"] == 7


def test_tenants_are_kept_apart():
    ours, theirs = make_tenant(), make_tenant()
    _legacy(ours, 1)
    _legacy(theirs, 1)
    runner.run(ours)
    assert list(SecurityEvent.objects.values_list("tenant", flat=True)) == [ours.pk]


def test_an_accepted_risk_suppresses_matching_findings_until_it_expires(admin):
    tenant = make_tenant()
    exception = DetectionException.objects.create(
        tenant=tenant, kind=EventKind.LEGACY_AUTH, user="KIM@contoso.com",
        reason="the scanner's mailbox", author="alice", expires=timezone.now() + timedelta(days=1))
    _legacy(tenant, 1)
    _legacy(tenant, 1, user="lee@contoso.com")
    summary = runner.run(tenant)
    assert (summary.recorded, summary.suppressed) == (1, 1)
    assert SecurityEvent.objects.get().users == ["lee@contoso.com"]
    exception.expires = timezone.now() - timedelta(seconds=1)
    exception.save()
    _legacy(tenant, 1, at=T0 + timedelta(days=1))
    assert runner.run(tenant).recorded == 1


def test_an_exception_by_network_or_country(admin):
    tenant = make_tenant()
    DetectionException.objects.create(network="203.0.113.0/24", reason="office NAT",
                                      expires=timezone.now() + timedelta(days=1))
    _legacy(tenant, 1)
    assert runner.run(tenant).suppressed == 1


def test_risky_sign_ins_take_the_worse_of_level_and_state():
    tenant = make_tenant()
    make_rows(SignIn, tenant, 1, created=T0, risk_level_during_sign_in="high",
              risk_state="atRisk", user_principal_name="amy@contoso.com")
    make_rows(SignIn, tenant, 1, created=T0, risk_level_during_sign_in="medium",
              risk_state="confirmedCompromised")
    make_rows(SignIn, tenant, 3, created=T0, risk_level_during_sign_in="hidden",
              risk_state="none")  # no P2: nothing to say
    runner.run(tenant)
    assert sorted(SecurityEvent.objects.filter(kind=EventKind.RISKY_SIGN_IN)
                  .values_list("severity", flat=True)) == ["critical", "error"]


def test_detections_follow_a_sign_in_sync_as_a_queued_task():
    tenant = make_tenant()
    _legacy(tenant, 1)
    run = SyncRun.objects.create(tenant=tenant, collector=Collector.SIGNINS,
                                 status=SyncStatus.SUCCEEDED)
    sync_steps.follow(run)  # what the runner does in the transaction closing the run
    assert SecurityEvent.objects.count() == 0  # queued, not run inline
    assert run_queued_tasks() == 1
    assert SecurityEvent.objects.filter(kind=EventKind.LEGACY_AUTH).count() == 1


def test_the_detect_command_reports_per_tenant():
    tenant = make_tenant(name="Contoso")
    _legacy(tenant, 3)
    out = io.StringIO()
    call_command("detect", "--no-progress", stdout=out)
    assert "Contoso: 3 sign-ins read, 1 events recorded" in out.getvalue()
