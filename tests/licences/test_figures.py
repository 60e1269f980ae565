"""What counts as spend: free and trial SKUs are not waste; over-assigned SKUs are flagged."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from m365admin.choices import LicenceKind
from m365admin.licences.figures import sku_figures
from m365admin.models import LicenceProduct, SubscribedSku, Subscription
from m365admin.overview import tenant_tiles
from tests.factories import make_rows, make_tenant

E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
FLOW_FREE = "f30db892-07e9-47e9-837c-80727f46fd3d"
EXCHANGE = "4b9405b0-7788-4568-add1-99614e613b69"
POWER_BI_PRO = "f8a1db68-be16-40ed-86d5-cb42ce701560"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_like_tenant():
    """The demo's licences: E3 with spare seats, FLOW_FREE's 10,000 units, an over-assigned
    Exchange plan and a Power BI trial."""
    tenant = make_tenant(name="Contoso")
    for sku_id, part, enabled, used in [(E3, "ENTERPRISEPACK", 40, 30),
                                        (FLOW_FREE, "FLOW_FREE", 10_000, 3),
                                        (EXCHANGE, "EXCHANGESTANDARD", 16, 17),
                                        (POWER_BI_PRO, "POWER_BI_PRO", 25, 5)]:
        make_rows(SubscribedSku, tenant, sku_id=sku_id, sku_part_number=part,
                  prepaid_enabled=enabled, consumed_units=used)
    make_rows(Subscription, tenant, sku_id=POWER_BI_PRO, sku_part_number="POWER_BI_PRO",
              is_trial=True, next_lifecycle=timezone.now() + timedelta(days=20))
    make_rows(Subscription, tenant, sku_id=E3, sku_part_number="ENTERPRISEPACK")
    return tenant


def _by_part(tenant):
    return {f.sku_part_number: f for f in sku_figures(tenant)}


def test_a_free_sku_is_marked_and_never_counted_as_unused(demo_like_tenant):
    flow = _by_part(demo_like_tenant)["FLOW_FREE"]
    assert (flow.kind, flow.product_name) == (LicenceKind.FREE, "Microsoft Power Automate Free")
    assert flow.available == 9_997 and flow.unused == 0


def test_a_sku_with_10000_units_and_no_price_is_free_but_a_priced_one_is_spend(demo_like_tenant):
    make_rows(SubscribedSku, demo_like_tenant, sku_part_number="BIG_PLAN", prepaid_enabled=12_000)
    assert _by_part(demo_like_tenant)["BIG_PLAN"].kind == LicenceKind.FREE
    big = SubscribedSku.objects.get(sku_part_number="BIG_PLAN")
    LicenceProduct.objects.create(sku_id=big.sku_id, monthly_price=Decimal("2.50"), currency="EUR")
    priced = _by_part(demo_like_tenant)["BIG_PLAN"]
    assert (priced.kind, priced.unused, priced.unused_cost) == (LicenceKind.PAID, 12_000,
                                                               Decimal("30000.00"))


def test_a_trial_is_marked_and_its_spare_seats_are_not_waste(demo_like_tenant):
    trial = _by_part(demo_like_tenant)["POWER_BI_PRO"]
    assert (trial.kind, trial.unused) == (LicenceKind.TRIAL, 0)
    assert trial.renewal is not None


def test_an_over_assigned_sku_is_flagged(demo_like_tenant):
    figures = _by_part(demo_like_tenant)
    assert figures["EXCHANGESTANDARD"].over_assigned and figures["EXCHANGESTANDARD"].available == -1
    assert figures["EXCHANGESTANDARD"].unused == 0
    assert not figures["ENTERPRISEPACK"].over_assigned


def test_units_in_their_grace_period_are_still_held(demo_like_tenant):
    make_rows(SubscribedSku, demo_like_tenant, sku_part_number="EXPIRED", prepaid_enabled=0,
              prepaid_warning=8, consumed_units=5, capability_status="Warning")
    expired = _by_part(demo_like_tenant)["EXPIRED"]
    assert (expired.purchased, expired.over_assigned, expired.unused) == (8, False, 3)


def test_the_dashboard_tile_counts_paid_seats_and_shows_free_and_trial_apart(demo_like_tenant):
    (tile,) = tenant_tiles()
    # E3 40/30 and Exchange 16/17; FLOW_FREE and the Power BI trial apart.
    assert tile["licences"] == {"enabled": 56, "assigned": 47, "unused": 10, "free": 8}
