"""Rule evaluation: `for` durations, hysteresis, deduplication, silences, auto-resolution."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from collectors.alert_sources import sync_failures
from m365admin.choices import AlertSource, SyncStatus
from m365admin.models import ServiceHealth, SyncRun
from m365admin.registry.alert_sources import Observation
from monitoring.alerts import alerting
from monitoring.choices import AlertStatus
from monitoring.messages import Metrics, Requests, Tick
from monitoring.models import Alert, AlertRule, AlertTransition, Silence
from monitoring.models.alerts import AlertConflict, fingerprint
from security.alert_sources import security_events
from tests.factories import component_health, make_rows, make_tenant

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _cpu(value: float) -> list[Observation]:
    return [Observation(AlertSource.METRIC, "cpu", {}, value)]


def _run(series: list[float], step: int = 30) -> list[str | None]:
    """Evaluate a value every `step` seconds; returns the alert's status after each."""
    statuses = []
    for i, value in enumerate(series):
        alerting.evaluate(_cpu(value), now=T0 + timedelta(seconds=i * step))
        alert = Alert.objects.order_by("-id").first()
        statuses.append(alert.status if alert else None)
    return statuses


def test_the_condition_must_hold_for_the_duration_before_firing(cpu_rule):
    assert _run([90, 90, 90]) == ["pending", "pending", "firing"]
    assert Alert.objects.count() == 1


def test_a_blip_shorter_than_the_duration_never_fires_and_leaves_nothing(cpu_rule):
    assert _run([90, 50]) == ["pending", None]
    assert not Alert.objects.exists()


def test_a_value_hovering_at_the_threshold_does_not_flap(cpu_rule):
    # Above, then dipping just under 80 (inside the 5-point band), then above again.
    statuses = _run([90, 90, 90, 79, 81, 78, 82, 90])
    assert statuses[2:] == ["firing"] * 6
    assert Alert.objects.count() == 1
    assert AlertTransition.objects.filter(to_status=AlertStatus.RESOLVED).count() == 0


def test_it_resolves_by_itself_once_past_the_hysteresis(cpu_rule):
    statuses = _run([90, 90, 90, 74])
    assert statuses[-1] == "resolved"
    alert = Alert.objects.get()
    assert alert.resolved_by is None
    last = alert.transitions.last()
    assert (last.from_status, last.to_status, last.note) == ("firing", "resolved", "cleared: cpu 74")
    # A new breach starts a new alert; the resolved one stays as history.
    alerting.evaluate(_cpu(95), now=T0 + timedelta(minutes=10))
    assert Alert.objects.count() == 2


def test_a_persisting_condition_updates_one_alert(cpu_rule):
    _run([90, 91, 92, 93, 94, 95])
    alert = Alert.objects.get()
    assert alert.value == 95 and alert.count == 4  # counted from when it fired
    assert alert.last_seen == T0 + timedelta(seconds=150)
    assert alert.summary == "CPU high"


def test_labels_make_separate_alerts_and_tenant_scope_is_respected():
    AlertRule.objects.all().delete()
    ours, theirs = make_tenant(), make_tenant()
    AlertRule.objects.create(
        name="Sync failing", source=AlertSource.SYNC, metric="consecutive_failures",
        comparison="gte", threshold=3, for_seconds=1, severity="error", tenant=ours,
    )
    observations = [
        Observation(AlertSource.SYNC, "consecutive_failures",
                    {"tenant": str(t.pk), "collector": c}, 3.0, t.pk)
        for t in (ours, theirs) for c in ("users", "signins")
    ]
    alerting.evaluate(observations, now=T0)
    alerting.evaluate(observations, now=T0 + timedelta(seconds=30))
    assert Alert.objects.filter(status=AlertStatus.FIRING).count() == 2
    assert set(Alert.objects.values_list("tenant", flat=True)) == {ours.pk}


def test_a_silence_mutes_matching_alerts_until_it_ends(cpu_rule, admin):
    silence = Silence.objects.create(
        rule=cpu_rule, starts=T0, ends=T0 + timedelta(minutes=5), reason="upgrade", author=admin,
    )
    _run([90, 90, 90])
    assert Alert.objects.get().silenced
    assert alerting.open_counts()["warning"] == 0
    alerting.evaluate(_cpu(90), now=silence.ends + timedelta(seconds=1))
    assert not Alert.objects.get().silenced
    assert alerting.open_counts()["warning"] == 1


def test_silence_matchers_compare_labels():
    silence = Silence(matchers={"component": "graph"})
    assert silence.matches(1, {"component": "graph", "tenant": "3"})
    assert not silence.matches(1, {"component": "database"})


def test_acknowledge_and_resolve_follow_the_lifecycle(cpu_rule, admin):
    _run([90, 90, 90])
    alert = Alert.objects.get()
    alert.acknowledge(admin, "looking")
    with pytest.raises(AlertConflict, match="already acknowledged"):
        alert.acknowledge(admin)
    alert.resolve(admin, "fixed")
    with pytest.raises(AlertConflict, match="already resolved"):
        alert.resolve(admin)
    with pytest.raises(AlertConflict):
        alert.acknowledge(admin)
    moves = list(alert.transitions.values_list("from_status", "to_status", "actor", "note"))
    assert moves == [
        ("pending", "firing", None, ""),
        ("firing", "acknowledged", admin.pk, "looking"),
        ("acknowledged", "resolved", admin.pk, "fixed"),
    ]


def test_a_resolved_alert_stays_resolved_while_the_condition_clears(cpu_rule, admin):
    _run([90, 90, 90])
    Alert.objects.get().resolve(admin)
    alerting.evaluate(_cpu(50), now=T0 + timedelta(minutes=5))
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_consecutive_sync_failures_are_observed_per_tenant_and_collector():
    tenant = make_tenant()
    statuses = [SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.FAILED, SyncStatus.FAILED]
    make_rows(SyncRun, tenant, 4, collector="users", status=lambda i: statuses[i],
              started=lambda i: T0 + timedelta(minutes=i))
    make_rows(SyncRun, tenant, 1, collector="teams", status=SyncStatus.FAILED, started=T0)
    found = {o.labels["collector"]: o.value for o in sync_failures()}
    assert found == {"users": 3.0, "teams": 1.0}


def test_the_seeded_rules_raise_a_component_down_and_a_service_health_alert(default_rules):
    tenant = make_tenant()
    make_rows(ServiceHealth, tenant, 1, service_id="Exchange", status="serviceInterruption")
    tick = Tick(metrics=Metrics(cpu=10.0), requests=Requests(interval_start=0.0, count=0),
                health=[component_health("graph", "down")])
    for seconds in (0, 61):
        alerting.evaluate(alerting.observe(tick), now=T0 + timedelta(seconds=seconds))
    firing = set(Alert.objects.filter(status=AlertStatus.FIRING).values_list("rule__name", flat=True))
    assert firing == {"Component down: graph", "Microsoft 365 service degraded"}
    assert alerting.open_counts() == {"info": 0, "warning": 1, "error": 0, "critical": 1}


@pytest.mark.parametrize("fields, message", [
    ({"metric": "cpu", "threshold": 150}, "between 0 and 100"),
    ({"metric": "temperature", "threshold": 50}, "Choose one of"),
])
def test_rules_are_validated(fields, message):
    rule = AlertRule(name="x", source=AlertSource.METRIC, comparison="gt", severity="info",
                     for_seconds=60, **fields)
    with pytest.raises(ValidationError, match=message):
        rule.full_clean()


def test_a_zero_duration_is_refused():
    rule = AlertRule(name="x", source=AlertSource.METRIC, metric="cpu", comparison="gt",
                     threshold=50, severity="info", for_seconds=0)
    with pytest.raises(ValidationError, match="for_seconds"):
        rule.full_clean()


def test_a_database_outage_holds_back_the_alerts_it_explains(default_rules):
    AlertRule.objects.filter(name="Response time p95 above 2 s").update(for_seconds=1)

    def tick(database: str, p95: float) -> Tick:
        return Tick(requests=Requests(interval_start=0.0, count=10, p95=p95, error_rate=0.0),
                    health=[component_health("database", database),
                            component_health("cache", "up")])

    for seconds in (0, 61, 122):
        alerting.evaluate(alerting.observe(tick("down", 5000)), now=T0 + timedelta(seconds=seconds))
    database = Alert.objects.get(rule__name="Component down: database")
    slow = Alert.objects.get(rule__name="Response time p95 above 2 s")
    assert database.status == slow.status == AlertStatus.FIRING
    assert slow.inhibited_by == database
    assert alerting.open_counts() == {"info": 0, "warning": 0, "error": 0, "critical": 1}

    # The database is back but requests are still slow: the slow-request alert stands alone.
    alerting.evaluate(alerting.observe(tick("up", 5000)), now=T0 + timedelta(seconds=183))
    slow.refresh_from_db()
    assert slow.inhibited_by is None and slow.status == AlertStatus.FIRING
    assert alerting.open_counts()["warning"] == 1


def test_a_collector_that_recovers_resolves_its_alert():
    AlertRule.objects.all().delete()
    tenant = make_tenant()
    AlertRule.objects.create(
        name="Sync failing", source=AlertSource.SYNC, metric="consecutive_failures",
        comparison="gte", threshold=3, for_seconds=1, severity="error",
    )
    failing = [Observation(AlertSource.SYNC, "consecutive_failures",
                           {"tenant": str(tenant.pk), "collector": "users"}, 3.0, tenant.pk)]
    alerting.evaluate(failing, now=T0)
    alerting.evaluate(failing, now=T0 + timedelta(seconds=30))
    assert Alert.objects.get().status == AlertStatus.FIRING
    # The next run succeeded: the collector is no longer observed as failing at all.
    alerting.evaluate([], now=T0 + timedelta(seconds=60))
    alert = Alert.objects.get()
    assert (alert.status, alert.resolved_by) == (AlertStatus.RESOLVED, None)


def test_security_events_raise_one_alert_per_kind_and_source_at_its_severity(default_rules,
                                                                              settings):
    from security import events
    from security.choices import EventKind
    from security.models import SecurityEvent

    settings.SECURITY_ALERT_WINDOW_MINUTES = 15
    for _ in range(3):
        SecurityEvent.objects.create(kind=EventKind.SQL_INJECTION, severity="error",
                                     ip_address="203.0.113.5")
    SecurityEvent.objects.create(kind=EventKind.SQL_INJECTION, severity="error",
                                 ip_address="198.51.100.1")
    for _ in range(9):  # below the threshold of 10 failed sign-ins
        events.record(EventKind.LOGIN_FAILED, username="victor")
    now = timezone.now()
    found = security_events(now)
    assert sorted((o.metric, sorted(o.labels.items()), o.value) for o in found) == [
        ("login_failed", [("user", "victor")], 9.0),
        ("sql_injection", [("ip", "198.51.100.1")], 1.0),
        ("sql_injection", [("ip", "203.0.113.5")], 3.0),
    ]
    alerting.evaluate(found, now=now)
    alerting.evaluate(found, now=now + timedelta(seconds=30))
    firing = Alert.objects.filter(status=AlertStatus.FIRING)
    assert sorted(a.summary for a in firing) == [
        "SQL injection attempts (ip=198.51.100.1)", "SQL injection attempts (ip=203.0.113.5)"]
    assert {a.severity for a in firing} == {"error"}
    # Fifteen quiet minutes later the events have left the window: incidents stay open.
    later = now + timedelta(minutes=16)
    alerting.evaluate(security_events(later), now=later)
    assert Alert.objects.filter(status=AlertStatus.FIRING).count() == 2


def test_events_recorded_below_their_kinds_level_stay_out_of_alerts():
    from security.choices import EventKind
    from security.models import SecurityEvent

    # A blocked legacy sign-in is kept at INFO; a successful one is an ERROR.
    SecurityEvent.objects.create(kind=EventKind.LEGACY_AUTH, severity="info", username="kim")
    SecurityEvent.objects.create(kind=EventKind.LEGACY_AUTH, severity="error", username="lee")
    found = security_events(timezone.now())
    assert [(o.metric, o.labels) for o in found] == [("legacy_auth", {"user": "lee"})]


def test_the_fingerprint_is_the_hash_it_always_was(cpu_rule):
    # Open alerts are found again by it: a new formula would orphan every one of them.
    labels = {"tenant": "4", "ip": "203.0.113.9", "user": "kïm@例え.jp"}
    before = hashlib.sha256(json.dumps([str(cpu_rule.code), labels], sort_keys=True).encode())
    assert fingerprint(cpu_rule, labels) == before.hexdigest()
