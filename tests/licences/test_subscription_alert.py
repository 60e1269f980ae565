"""A subscription in trouble or close to its lifecycle date raises an alert naming tenant,
product and date; it resolves once the subscription is renewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin.models import Subscription
from monitoring.alert_sources import subscriptions
from monitoring.alerts import alerting
from monitoring.choices import AlertStatus
from monitoring.models import Alert
from tests.factories import make_rows, make_tenant, seeded_rule

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POWER_BI_PRO = "f8a1db68-be16-40ed-86d5-cb42ce701560"
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule():
    return seeded_rule("0013_subscription_rule")


def _evaluate_twice():
    for seconds in (0, 2):
        now = T0 + timedelta(seconds=seconds)
        alerting.evaluate(subscriptions(now), now=now)


def test_a_warning_and_an_expiring_subscription_alert_with_tenant_product_and_date(rule):
    tenant = make_tenant(name="Contoso")
    make_rows(Subscription, tenant, sku_id=POWER_BI_PRO, sku_part_number="POWER_BI_PRO",
              status="Warning", next_lifecycle=T0 + timedelta(days=200))
    make_rows(Subscription, tenant, sku_id=E3, sku_part_number="ENTERPRISEPACK",
              next_lifecycle=T0 + timedelta(days=12))
    make_rows(Subscription, tenant, sku_part_number="FAR_AWAY",
              next_lifecycle=T0 + timedelta(days=31))
    make_rows(Subscription, tenant, sku_part_number="GONE", status="Deleted",
              next_lifecycle=T0 + timedelta(days=1))
    _evaluate_twice()
    firing = {a.summary for a in Alert.objects.filter(status=AlertStatus.FIRING)}
    assert firing == {
        "Microsoft 365 subscription needs attention (date=2027-06-24, sku=Power BI Pro, "
        "status=Warning, tenant_name=Contoso)",
        "Microsoft 365 subscription needs attention (date=2026-12-18, sku=Office 365 E3, "
        "status=Enabled, tenant_name=Contoso)",
    }
    assert set(Alert.objects.values_list("tenant_id", flat=True)) == {tenant.pk}


def test_a_renewed_subscription_resolves_its_alert(rule):
    tenant = make_tenant()
    (subscription,) = make_rows(Subscription, tenant, sku_id=E3, sku_part_number="ENTERPRISEPACK",
                                next_lifecycle=T0 + timedelta(days=5))
    _evaluate_twice()
    assert Alert.objects.get().status == AlertStatus.FIRING
    subscription.next_lifecycle = T0 + timedelta(days=365)
    subscription.save()
    alerting.evaluate(subscriptions(T0 + timedelta(minutes=1)),
                      now=T0 + timedelta(minutes=1))
    assert Alert.objects.get().status == AlertStatus.RESOLVED
