"""Two kinds of alert: incidents stay open until a person resolves them, conditions clear
with what they watch and cannot be resolved while they still hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from m365admin.choices import AlertSource
from m365admin.registry.alert_sources import Observation
from monitoring.alerts import alerting
from monitoring.choices import AlertStatus
from monitoring.models import Alert, AlertRule
from monitoring.models.alerts import AlertConflict
from security.alert_sources import security_events
from security.choices import EventKind
from security.models import SecurityEvent
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def spray_rule():
    AlertRule.objects.all().delete()
    return AlertRule.objects.create(
        name="Password spray", source=AlertSource.SECURITY, metric=EventKind.PASSWORD_SPRAY,
        comparison="gte", threshold=1, for_seconds=1, severity="error",
    )


def _spray(tenant, at) -> SecurityEvent:
    return SecurityEvent.objects.create(kind=EventKind.PASSWORD_SPRAY, severity="error",
                                        ip_address="203.0.113.9", tenant=tenant, created=at)


def _tick(now) -> None:
    alerting.evaluate(security_events(now), now=now)


# Incidents


def test_an_incident_fires_at_once_with_its_tenant(spray_rule):
    tenant = make_tenant()
    now = timezone.now()
    _spray(tenant, now)
    _tick(now)
    alert = Alert.objects.get()
    assert (alert.status, alert.tenant, alert.fired) == (AlertStatus.FIRING, tenant, now)
    assert alert.labels == {"ip": "203.0.113.9", "tenant": str(tenant.pk)}


def test_a_resolved_incident_stays_resolved_through_ten_ticks(spray_rule, operator):
    tenant = make_tenant()
    now = timezone.now()
    _spray(tenant, now)
    _tick(now)
    Alert.objects.get().resolve(operator, "blocked the address at the firewall")
    for i in range(1, 11):  # the event is still inside the window on every tick
        _tick(now + timedelta(seconds=30 * i))
    alert = Alert.objects.get()
    assert (alert.status, alert.resolved_by) == (AlertStatus.RESOLVED, operator)


def test_an_open_incident_never_closes_when_its_window_passes(spray_rule):
    now = timezone.now()
    _spray(make_tenant(), now)
    _tick(now)
    _tick(now + timedelta(hours=2))  # no event in the window any more
    assert Alert.objects.get().status == AlertStatus.FIRING


def test_a_later_occurrence_opens_a_new_alert_linking_the_resolved_one(spray_rule, operator):
    tenant = make_tenant()
    now = timezone.now()
    _spray(tenant, now - timedelta(seconds=10))
    _tick(now)
    first = Alert.objects.get()
    first.resolve(operator, "reset the targeted passwords")
    later = timezone.now() + timedelta(seconds=5)
    _spray(tenant, later)
    _tick(later + timedelta(seconds=1))
    second = Alert.objects.exclude(pk=first.pk).get()
    assert (second.status, second.previous) == (AlertStatus.FIRING, first)
    assert second.transitions.get().to_status == AlertStatus.FIRING


def test_an_incident_is_resolved_with_a_note(spray_rule, operator):
    now = timezone.now()
    _spray(make_tenant(), now)
    _tick(now)
    alert = Alert.objects.get()
    with pytest.raises(AlertConflict, match="note") as refused:
        alert.resolve(operator, "  ")
    assert refused.value.reason == "note"
    assert Alert.objects.get().status == AlertStatus.FIRING


# Conditions


def _firing_cpu(value: float = 93) -> Alert:
    now = timezone.now()
    alerting.evaluate([Observation(AlertSource.METRIC, "cpu", {}, value)],
                      now=now - timedelta(seconds=61))
    alerting.evaluate([Observation(AlertSource.METRIC, "cpu", {}, value)], now=now)
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.FIRING
    return alert


def test_a_firing_condition_cannot_be_resolved(cpu_rule, operator):
    alert = _firing_cpu()
    with pytest.raises(AlertConflict, match=r"still holds \(cpu 93 > 80\)") as refused:
        alert.resolve(operator, "done")
    assert refused.value.reason == "holds"
    alert.acknowledge(operator, "looking")  # acknowledging is what a person does instead
    with pytest.raises(AlertConflict, match="still holds"):
        alert.resolve(operator, "done")
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED


def test_a_condition_inside_its_hysteresis_band_may_be_resolved(cpu_rule, operator):
    alert = _firing_cpu()
    alerting.evaluate([Observation(AlertSource.METRIC, "cpu", {}, 78.0)])  # 75 < 78 ≤ 80
    alert.refresh_from_db()
    assert (alert.status, alert.value) == (AlertStatus.FIRING, 78.0)
    alert.resolve(operator, "load moved to the second node")
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_a_condition_no_longer_observed_may_be_resolved(cpu_rule, operator, settings):
    alert = _firing_cpu()
    Alert.objects.filter(pk=alert.pk).update(
        last_seen=timezone.now() - timedelta(seconds=4 * settings.MONITORING_INTERVAL))
    alert.resolve(operator, "the sampler was removed")
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_the_api_answers_409_with_the_reason(cpu_rule, client, operator):
    alert = _firing_cpu()
    client.force_login(operator)
    response = client.post(f"/api/v1/alerts/{alert.code}/resolve", {"note": "x"},
                           content_type="application/json")
    assert response.status_code == 409
    assert "still holds (cpu 93 > 80)" in response.json()["detail"]
    assert Alert.objects.get().status == AlertStatus.FIRING


def test_the_page_explains_instead_of_offering_resolve(cpu_rule, client, operator):
    alert = _firing_cpu()
    client.force_login(operator)
    page = client.get(alert.get_absolute_url()).content.decode()
    assert 'id="alert-holds"' in page and "still holds" in page
    assert reverse("monitoring:alert-resolve", args=[alert.code]) not in page
    response = client.post(reverse("monitoring:alert-resolve", args=[alert.code]),
                           {"note": "x"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [alert.holding_reason()]
    assert Alert.objects.get().status == AlertStatus.FIRING


def test_the_admin_action_reports_conditions_still_firing(cpu_rule, client, admin):
    alert = _firing_cpu()
    client.force_login(admin)
    response = client.post(reverse("admin:monitoring_alert_changelist"), {
        "action": "resolve", "_selected_action": [alert.pk], "apply": "1", "note": "x",
    }, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "0 resolved; 1 still firing (it resolves by itself once its condition clears)"]
    assert Alert.objects.get().status == AlertStatus.FIRING
