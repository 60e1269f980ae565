"""Reports, licences, Teams and service health: whole snapshots per run."""

from __future__ import annotations

import csv
import io

import pytest

from collectors.clients import client_for
from collectors.simulator import Fault
from collectors.sync.runner import run_collector
from m365admin.choices import Collector, HealthLevel, SyncStatus
from m365admin.models import (
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SubscribedSku,
    Team,
)

pytestmark = pytest.mark.django_db(transaction=True)


def report_rows(tenant, function: str) -> list[dict[str, str]]:
    body = client_for(tenant).download_report(f"/v1.0/reports/{function}(period='D7')")
    return list(csv.DictReader(io.StringIO(body)))


def test_mailbox_usage_is_stored_per_user(sim_tenant, simulator):
    tenant, _ = sim_tenant
    run = run_collector(tenant, Collector.MAILBOXES)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    expected = {row["User Principal Name"]: row for row in report_rows(tenant, "getMailboxUsageDetail")}
    stored = {m.user_principal_name: m for m in Mailbox.objects.filter(tenant=tenant)}
    assert set(stored) == set(expected)
    upn, row = next(iter(expected.items()))
    assert stored[upn].storage_used_bytes == int(row["Storage Used (Byte)"])
    # The download was fetched without the Graph token.
    downloads = [r for r in simulator.requests.snapshot() if r.method == "GET" and "download" in r.path]
    assert downloads and all("authorization" not in {k.lower() for k in r.headers} for r in downloads)


def test_onedrive_usage_is_stored_per_site(sim_tenant):
    tenant, _ = sim_tenant
    run = run_collector(tenant, Collector.ONEDRIVE)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    expected = {row["Site URL"] for row in report_rows(tenant, "getOneDriveUsageAccountDetail")}
    assert set(OneDriveAccount.objects.filter(tenant=tenant).values_list("site_url", flat=True)) == expected


def test_a_report_replaces_the_previous_snapshot(sim_tenant):
    tenant, _ = sim_tenant
    Mailbox.objects.create(tenant=tenant, user_principal_name="left.long.ago@example.com")
    run = run_collector(tenant, Collector.MAILBOXES)
    assert run.removed == 1
    assert not Mailbox.objects.filter(user_principal_name="left.long.ago@example.com").exists()


def test_licences_match_the_tenant(sim_tenant):
    tenant, spec = sim_tenant
    run = run_collector(tenant, Collector.SKUS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    skus = {s.sku_id: s for s in SubscribedSku.objects.filter(tenant=tenant)}
    for item in spec.subscribed_skus():
        assert skus[item["skuId"]].consumed_units == item["consumedUnits"]
        assert skus[item["skuId"]].prepaid_enabled == item["prepaidUnits"]["enabled"]


def test_teams_come_with_their_details_by_batch(sim_tenant, simulator):
    tenant, spec = sim_tenant
    run = run_collector(tenant, Collector.TEAMS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    teams = {t.graph_id: t for t in Team.objects.filter(tenant=tenant)}
    assert set(teams) == set(spec.teams)
    for team_id, detail in spec.teams.items():
        assert teams[team_id].is_archived == detail["isArchived"]
    batches = [r for r in simulator.requests.snapshot()
               if r.tenant_id == spec.tenant_id and r.method == "POST" and r.path.endswith("$batch")]
    assert len(batches) == -(-len(spec.teams) // 20)


def test_a_failed_batch_item_keeps_the_team_from_the_list(sim_tenant, simulator):
    tenant, spec = sim_tenant
    # Inner $batch requests are matched by their own URL.
    simulator.faults.add(Fault("batch_item_status", path=r"/teams/", tenant=spec.tenant_id,
                               status=404, times=None))
    run = run_collector(tenant, Collector.TEAMS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert Team.objects.filter(tenant=tenant).count() == len(spec.teams)
    assert not Team.objects.filter(tenant=tenant, is_archived__isnull=False).exists()


def test_service_health_reads_degraded_services_and_open_issues(sim_tenant):
    tenant, spec = sim_tenant
    run = run_collector(tenant, Collector.SERVICE_HEALTH)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    health = list(ServiceHealth.objects.filter(tenant=tenant))
    assert {h.service_id for h in health} == {h["id"] for h in spec.health}
    assert any(h.level() != HealthLevel.OPERATIONAL for h in health)
    assert ServiceHealthIssue.objects.filter(tenant=tenant, is_resolved=False).exists()
    assert ServiceHealthIssue.objects.filter(tenant=tenant).count() == len(spec.issues)
