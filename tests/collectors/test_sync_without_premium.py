"""A tenant without Entra ID P1/P2: Graph refuses its sign-in logs and sign-in activity.

The runs are skipped with the reason, and every page that would otherwise say "no sign-ins" or
count its users as inactive says that sign-in logs need Entra ID P1 instead.
"""

from __future__ import annotations

import pytest

from collectors.sync.runner import run_collector
from m365admin.choices import Collector, SyncStatus
from m365admin.models import DirectoryUser, Tenant
from m365admin.overview import tenant_tiles
from security import posture

pytestmark = pytest.mark.django_db(transaction=True)

NEEDS_P1 = "Sign-in logs need Entra ID P1"


@pytest.fixture
def tenants(make_sim_tenant):
    """A tenant without premium licences and one with, each synced."""
    synced = []
    for premium in (False, True):
        tenant, _ = make_sim_tenant(premium=premium, users=12, signins=300)
        for collector in (Collector.USERS, Collector.SIGNIN_ACTIVITY, Collector.SIGNINS):
            run_collector(tenant, collector)
        synced.append(tenant)
    return synced


def test_its_sign_in_runs_are_skipped_with_the_reason(tenants):
    free, _ = tenants
    for collector in (Collector.SIGNIN_ACTIVITY, Collector.SIGNINS):
        run = free.syncrun_set.get(collector=collector)
        assert run.status == SyncStatus.SKIPPED and "P1/P2" in run.error
    assert list(Tenant.objects.without_sign_in_logs()) == [free]


def test_the_dashboard_tile_says_sign_in_logs_need_p1(tenants):
    free, premium = tenants
    tiles = {tile["name"]: tile for tile in tenant_tiles()}
    assert tiles[free.name]["sign_in_logs_unavailable"] is True
    assert tiles[premium.name]["sign_in_logs_unavailable"] is False


def test_posture_leaves_its_users_out_of_the_inactive_and_never_used_counts(tenants):
    free, premium = tenants
    assert DirectoryUser.objects.filter(tenant=free, is_licensed=True).exists()
    checked = posture.posture(None, days=30)
    assert checked.without_sign_in_logs == [free]
    assert not [u for u in checked.inactive.rows + checked.never_used.rows if u.tenant == free]
    assert posture.posture(premium, days=30).without_sign_in_logs == []


@pytest.mark.parametrize("page", ["/", "/threats/", "/threats/posture/"])
def test_the_tenants_threats_and_posture_pages_say_so(tenants, client, admin, page):
    free, _ = tenants
    client.force_login(admin)
    html = client.get(page).content.decode()
    assert NEEDS_P1 in html and free.name in html
