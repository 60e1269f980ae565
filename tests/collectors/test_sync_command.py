"""manage.py sync."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from collectors.sync.runner import COLLECTORS
from m365admin.choices import SyncStatus
from m365admin.models import SignIn, SyncRun
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_syncs_one_tenant_with_every_collector(sim_tenant):
    tenant, _ = sim_tenant
    call_command("sync", "--tenant", tenant.name, "--no-progress")
    runs = SyncRun.objects.filter(tenant=tenant)
    assert sorted(runs.values_list("collector", flat=True)) == sorted(COLLECTORS)
    assert set(runs.values_list("status", flat=True)) == {SyncStatus.SUCCEEDED}
    assert SignIn.objects.filter(tenant=tenant).exists()


def test_it_runs_only_the_collectors_asked_for(sim_tenant):
    tenant, _ = sim_tenant
    call_command("sync", "--tenant", tenant.tenant_id, "--collector", "skus", "--collector", "teams")
    assert sorted(SyncRun.objects.values_list("collector", flat=True)) == ["skus", "teams"]


def test_a_failing_collector_makes_it_exit_with_a_one_line_reason(sim_tenant):
    tenant, _ = sim_tenant
    tenant.set_client_secret("not-the-secret")
    tenant.save()
    with pytest.raises(CommandError) as error:
        call_command("sync", "--tenant", tenant.name, "--collector", "skus")
    message = str(error.value)
    assert message.startswith("sync failed: ") and "\n" not in message
    assert tenant.tenant_id in message and "not-the-secret" not in message


def test_an_unknown_tenant_is_named_with_the_known_ones():
    make_tenant(name="Contoso")
    with pytest.raises(CommandError, match=r"no tenant matches 'Nope' \(known tenants: Contoso\)"):
        call_command("sync", "--tenant", "Nope")


def test_without_tenants_it_says_what_to_do():
    with pytest.raises(CommandError, match="no enabled tenant"):
        call_command("sync")
