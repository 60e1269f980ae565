"""The users collector (delta query) over real HTTPS against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.simulator import Fault
from collectors.sync.runner import run_collector
from m365admin.choices import Collector, SyncStatus, UserType
from m365admin.models import DirectoryUser, SyncCheckpoint

pytestmark = pytest.mark.django_db(transaction=True)


def live(tenant) -> dict[str, DirectoryUser]:
    return {u.graph_id: u for u in DirectoryUser.objects.filter(tenant=tenant, deleted=False)}


def checkpoint(tenant) -> SyncCheckpoint:
    return SyncCheckpoint.objects.get(tenant=tenant, collector=Collector.USERS)


def delta_requests(simulator, tenant) -> list[str]:
    return [r.path for r in simulator.requests.snapshot()
            if r.tenant_id == tenant.tenant_id and "/users/delta" in r.path]


def test_a_full_round_stores_every_user_and_keeps_the_delta_link(sim_tenant):
    tenant, spec = sim_tenant
    guest = spec.add_user(userType="Guest", userPrincipalName="ext_user_example.com#EXT#@x.example")
    run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    users = live(tenant)
    assert set(users) == set(spec.users)
    some = next(iter(spec.users.values()))
    stored = users[some["id"]]
    assert stored.user_principal_name == some["userPrincipalName"]
    assert stored.account_enabled == some["accountEnabled"]
    assert stored.is_licensed == bool(some["assignedLicenses"])
    assert users[guest["id"]].user_type == UserType.GUEST
    assert users[guest["id"]].user_principal_name.endswith("#EXT#@x.example")
    assert checkpoint(tenant).delta_link.startswith("https://")
    assert checkpoint(tenant).next_link == ""


def test_the_next_round_brings_only_changes(sim_tenant, simulator):
    tenant, spec = sim_tenant
    run_collector(tenant, Collector.USERS)
    renamed, soft, hard = list(spec.users)[:3]
    spec.update_user(renamed, displayName="改名 済み")
    spec.delete_user(soft)
    spec.delete_user(hard, permanent=True)
    added = spec.add_user(displayName="New Starter")

    run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert (run.written, run.removed) == (2, 2)
    users = {u.graph_id: u for u in DirectoryUser.objects.filter(tenant=tenant)}
    assert users[renamed].display_name == "改名 済み"
    assert (users[soft].deleted, users[soft].deleted_reason) == (True, "changed")
    assert (users[hard].deleted, users[hard].deleted_reason) == (True, "deleted")
    assert users[added["id"]].display_name == "New Starter"
    # The round started from the stored deltaLink, not from scratch.
    assert "$deltatoken=" in delta_requests(simulator, tenant)[-1]


def test_a_410_starts_a_full_round_and_marks_vanished_users(sim_tenant, simulator):
    tenant, spec = sim_tenant
    run_collector(tenant, Collector.USERS)
    gone = next(iter(spec.users))
    spec.delete_user(gone, permanent=True)
    simulator.faults.add(Fault("gone", path=r"/users/delta", tenant=spec.tenant_id))
    run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    user = DirectoryUser.objects.get(tenant=tenant, graph_id=gone)
    assert user.deleted
    assert set(live(tenant)) == set(spec.users)


def test_an_expired_delta_token_resyncs(sim_tenant, simulator):
    tenant, spec = sim_tenant
    run_collector(tenant, Collector.USERS)
    simulator.now = datetime.now(UTC) + timedelta(days=8)  # past the 7-day token life
    try:
        run = run_collector(tenant, Collector.USERS)
    finally:
        simulator.now = None
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert set(live(tenant)) == set(spec.users)
    assert checkpoint(tenant).delta_link


def test_a_round_killed_mid_way_resumes_from_its_next_link(make_sim_tenant, simulator):
    tenant, spec = make_sim_tenant(users=250, signins=0)
    simulator.faults.add(Fault("status", path=r"/users/delta", tenant=spec.tenant_id, after=1,
                               status=500))
    failed = run_collector(tenant, Collector.USERS)
    assert failed.status == SyncStatus.FAILED and "\n" not in failed.error
    assert len(live(tenant)) == 100  # one page of the round
    next_link = checkpoint(tenant).next_link
    assert "$skiptoken=" in next_link

    run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert set(live(tenant)) == set(spec.users)
    assert DirectoryUser.objects.filter(tenant=tenant).count() == 250  # no duplicates
    resumed_with = [p for p in delta_requests(simulator, tenant) if "$skiptoken=" in p][-2]
    assert resumed_with.split("?", 1)[1] in next_link.replace("%24", "$")


def test_sign_in_activity_fills_last_sign_in_times(sim_tenant):
    tenant, spec = sim_tenant
    newcomer = spec.add_user(displayName="Never Signed In")
    run_collector(tenant, Collector.USERS)
    run = run_collector(tenant, Collector.SIGNIN_ACTIVITY)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert DirectoryUser.objects.filter(tenant=tenant, last_sign_in__isnull=False).exists()
    # A user who never signed in keeps no date (Graph omits or blanks the activity).
    assert DirectoryUser.objects.get(tenant=tenant, graph_id=newcomer["id"]).last_sign_in is None


def test_sign_in_activity_without_premium_is_skipped(make_sim_tenant):
    tenant, _ = make_sim_tenant(premium=False)
    run_collector(tenant, Collector.USERS)
    run = run_collector(tenant, Collector.SIGNIN_ACTIVITY)
    assert run.status == SyncStatus.SKIPPED and "P1/P2" in run.error
