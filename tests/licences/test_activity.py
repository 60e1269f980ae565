"""Last sign-in that agrees, and seats on disabled and inactive accounts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from m365admin.choices import SignInSource
from m365admin.licences.activity import refresh_activity
from m365admin.licences.figures import sku_figures, waste_totals
from m365admin.models import DirectoryUser, HeldLicence
from tests.licences.conftest import NOW

pytestmark = pytest.mark.django_db


def _user(graph_id):
    return DirectoryUser.objects.get(graph_id=graph_id)


def test_the_last_sign_in_is_the_latest_of_activity_and_the_log_with_its_source(estate):
    assert (_user("logonly").last_seen, _user("logonly").last_seen_source) == (
        NOW - timedelta(days=2), SignInSource.SIGN_IN_LOG)
    assert (_user("idle100").last_seen, _user("idle100").last_seen_source) == (
        NOW - timedelta(days=95), SignInSource.NON_INTERACTIVE)
    assert _user("active2").last_seen_source == SignInSource.INTERACTIVE
    assert (_user("f1").last_seen, _user("f1").last_seen_source) == (None, "")


def test_seats_on_disabled_and_inactive_accounts_per_threshold(estate):
    contoso, _ = estate
    e3 = {days: next(f for f in sku_figures(contoso, days) if f.sku_part_number ==
                     "ENTERPRISEPACK") for days in (14, 30, 60, 90)}
    assert e3[30].disabled == 1
    # logonly signed in 2 days ago (the log), so only idle45 and idle100 are inactive.
    assert {days: f.inactive for days, f in e3.items()} == {14: 2, 30: 2, 60: 1, 90: 1}
    assert e3[30].unused == 4
    assert e3[30].monthly_waste == Decimal("20.00") * (4 + 1 + 2)


def test_a_tenant_without_p1_never_appears_in_inactive_figures(estate):
    _, fabrikam = estate
    (e3,) = sku_figures(fabrikam, 14)
    assert e3.inactive is None and e3.disabled == 1
    overall, per_tenant = waste_totals(sku_figures(inactive_days=14))
    assert per_tenant[fabrikam.pk].inactive == 0
    assert overall.inactive == 2  # Contoso's two


def test_free_skus_add_no_waste_and_costs_stay_per_currency(estate):
    overall, _ = waste_totals(sku_figures(inactive_days=30))
    # Contoso E3 4 unused + 1 disabled + 2 inactive; Fabrikam E3 2 unused + 1 disabled.
    assert (overall.unused, overall.disabled, overall.inactive) == (6, 2, 2)
    assert overall.cost == {"EUR": Decimal("20.00") * 10}


def test_held_licences_mirror_assignments_of_accounts_not_deleted(estate):
    contoso, _ = estate
    assert HeldLicence.objects.filter(tenant=contoso).count() == 7  # six E3, one FLOW_FREE


def test_an_unknown_threshold_is_refused(estate):
    with pytest.raises(ValueError, match="inactive_days"):
        sku_figures(inactive_days=7)


def test_a_sign_in_sync_updates_activity_without_rebuilding_held_licences(estate):
    contoso, _ = estate
    before = set(HeldLicence.objects.filter(tenant=contoso).values_list("pk", flat=True))
    DirectoryUser.objects.filter(graph_id="idle45").update(last_sign_in=NOW)
    refresh_activity(contoso, NOW, assignments_changed=False)
    assert set(HeldLicence.objects.filter(tenant=contoso).values_list("pk", flat=True)) == before
    (e3,) = [f for f in sku_figures(contoso, 30) if f.sku_part_number == "ENTERPRISEPACK"]
    assert e3.inactive == 1 and _user("idle45").last_seen == NOW
