"""One outage, one alert: Microsoft's report that Exchange Online is degraded (the service-
health alert) holds back our Exchange component's alert, which is read from that report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin.models import ServiceHealth
from monitoring.alerts import alerting
from monitoring.choices import AlertStatus
from monitoring.messages import Tick
from monitoring.models import Alert, Delivery, NotificationChannel
from tests.factories import component_health, make_rows, make_tenant

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _tick(exchange: str, at: int) -> None:
    tick = Tick(health=[component_health("exchange", exchange)])
    alerting.evaluate(alerting.observe(tick), now=T0 + timedelta(seconds=at))


@pytest.fixture
def channel():
    return NotificationChannel.objects.create(name="ops", kind="webhook",
                                              config={"url": "https://hooks.example.com/ops"})


def test_the_service_health_alert_holds_back_the_exchange_component_alert(default_rules,
                                                                          channel):
    tenant = make_tenant(name="Contoso")
    health = make_rows(ServiceHealth, tenant, 1, service_id="Exchange",
                       status="serviceDegradation")[0]
    for seconds in range(0, 331, 30):  # past both rules' `for` (60 s and 300 s)
        _tick("degraded", seconds)
    service = Alert.objects.get(rule__name="Microsoft 365 service degraded")
    component = Alert.objects.get(rule__name="Component degraded: exchange")
    assert service.status == component.status == AlertStatus.FIRING
    assert (component.inhibited_by, service.inhibited_by) == (service, None)
    assert service.tenant == tenant and service.labels["service"] == "Exchange"
    assert alerting.open_counts() == {"info": 0, "warning": 1, "error": 0, "critical": 0}
    sent = {a.pk for d in Delivery.objects.all() for a in d.alerts.all()}
    assert sent == {service.pk}

    # Microsoft reports it fixed: both clear, and nothing is held back any more.
    ServiceHealth.objects.filter(pk=health.pk).update(status="serviceOperational")
    _tick("up", 360)
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.RESOLVED}


def test_a_stale_exchange_without_a_service_report_alerts_on_its_own(default_rules):
    for seconds in range(0, 331, 30):  # degraded because the sync is stale, not by Microsoft
        _tick("degraded", seconds)
    component = Alert.objects.get(rule__name="Component degraded: exchange")
    assert (component.status, component.inhibited_by) == (AlertStatus.FIRING, None)
    assert alerting.open_counts()["warning"] == 1
