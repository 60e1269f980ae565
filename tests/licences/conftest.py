"""A hand-built estate: two tenants whose every licence figure is known in advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from m365admin.choices import Collector, SyncStatus
from m365admin.licences.activity import refresh_activity
from m365admin.models import DirectoryUser, LicenceProduct, SignIn, SubscribedSku, SyncRun
from tests.factories import make_rows, make_tenant

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
FLOW_FREE = "f30db892-07e9-47e9-837c-80727f46fd3d"
EXCHANGE = "4b9405b0-7788-4568-add1-99614e613b69"
YEAR_AGO = NOW - timedelta(days=365)


def _licences(*sku_ids):
    return [{"skuId": sku_id, "disabledPlans": []} for sku_id in sku_ids]


@pytest.fixture
def estate(db):
    """Contoso (Entra ID P1): E3 at 20 EUR, 10 bought, 6 assigned: one disabled account, one
    inactive 45 days (E3 + FLOW_FREE), one inactive 100 days, one active through the sign-in
    log only, two active. Fabrikam (no P1): E3, 5 bought, 3 assigned, nobody's activity known,
    one disabled account."""
    contoso = make_tenant(name="Contoso")
    fabrikam = make_tenant(name="Fabrikam")
    LicenceProduct.objects.create(sku_id=E3, sku_part_number="ENTERPRISEPACK",
                                  monthly_price=Decimal("20.00"), currency="EUR")
    make_rows(SubscribedSku, contoso, sku_id=E3, sku_part_number="ENTERPRISEPACK",
              prepaid_enabled=10, consumed_units=6)
    make_rows(SubscribedSku, contoso, sku_id=FLOW_FREE, sku_part_number="FLOW_FREE",
              prepaid_enabled=10_000, consumed_units=1)
    make_rows(SubscribedSku, fabrikam, sku_id=E3, sku_part_number="ENTERPRISEPACK",
              prepaid_enabled=5, consumed_units=3)
    common = {"is_licensed": True, "created_in_graph": YEAR_AGO, "account_enabled": True}
    for name, fields in [
        ("disabled", {"account_enabled": False, "last_sign_in": NOW - timedelta(days=200)}),
        ("idle45", {"last_sign_in": NOW - timedelta(days=45),
                    "assigned_licenses": _licences(E3, FLOW_FREE)}),
        ("idle100", {"last_sign_in": NOW - timedelta(days=100),
                     "last_non_interactive_sign_in": NOW - timedelta(days=95)}),
        ("logonly", {"last_sign_in": NOW - timedelta(days=70)}),
        ("active1", {"last_non_interactive_sign_in": NOW - timedelta(hours=3)}),
        ("active2", {"last_sign_in": NOW - timedelta(days=1)}),
    ]:
        make_rows(DirectoryUser, contoso, graph_id=name,
                  user_principal_name=f"{name}@contoso.com",
                  **{**common, "assigned_licenses": _licences(E3), **fields})
    make_rows(SignIn, contoso, graph_id="s1", user_graph_id="logonly",
              user_principal_name="logonly@contoso.com", created=NOW - timedelta(days=2))
    for name, enabled in [("f1", True), ("f2", True), ("f3", False)]:
        make_rows(DirectoryUser, fabrikam, graph_id=name,
                  user_principal_name=f"{name}@fabrikam.com",
                  **{**common, "assigned_licenses": _licences(E3), "account_enabled": enabled})
    make_rows(SyncRun, fabrikam, collector=Collector.SIGNIN_ACTIVITY, status=SyncStatus.SKIPPED,
              started=NOW)
    refresh_activity(contoso, NOW)
    refresh_activity(fabrikam, NOW)
    return contoso, fabrikam
