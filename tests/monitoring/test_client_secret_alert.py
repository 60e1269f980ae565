"""A tenant's client secret expiring within 30 days, or expired, raises an alert naming the
tenant and the date; a new secret with a later date resolves it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitoring.alert_sources import client_secrets
from monitoring.alerts import alerting
from monitoring.alerts.titles import alert_title
from monitoring.choices import AlertStatus
from monitoring.models import Alert
from tests.factories import make_tenant, seeded_rule

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 6)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule():
    return seeded_rule("0016_client_secret_rule")


def _evaluate_twice(start=T0):
    for seconds in (0, 2):
        now = start + timedelta(seconds=seconds)
        alerting.evaluate(client_secrets(now), now=now)


def test_expiring_and_expired_secrets_alert_with_tenant_and_date(rule):
    soon = make_tenant(name="Contoso", secret_expires=TODAY + timedelta(days=30))
    gone = make_tenant(name="Fabrikam", secret_expires=TODAY - timedelta(days=3))
    make_tenant(name="Far away", secret_expires=TODAY + timedelta(days=31))
    make_tenant(name="Unknown date")
    make_tenant(name="Disabled", enabled=False, secret_expires=TODAY)
    _evaluate_twice()
    firing = Alert.objects.filter(status=AlertStatus.FIRING)
    assert {a.summary for a in firing} == {
        "Tenant client secret expiring (date=2027-01-05, tenant_name=Contoso)",
        "Tenant client secret expiring (date=2026-12-03, tenant_name=Fabrikam)",
    }
    assert {a.tenant_id for a in firing} == {soon.pk, gone.pk}
    alert = firing.get(tenant=soon)
    assert alert_title(rule.name, alert.labels, alert.summary) == (
        "Tenant client secret expiring (date=2027-01-05, tenant_name=Contoso)")


def test_a_new_secret_resolves_the_alert(rule):
    tenant = make_tenant(secret_expires=TODAY + timedelta(days=5))
    _evaluate_twice()
    assert Alert.objects.get().status == AlertStatus.FIRING
    tenant.secret_expires = TODAY + timedelta(days=700)
    tenant.save()
    _evaluate_twice(T0 + timedelta(minutes=1))
    assert Alert.objects.get().status == AlertStatus.RESOLVED
