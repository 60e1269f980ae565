"""The whole path against the Graph simulator: collectors, rollups, the page and the tile."""

from __future__ import annotations

import pytest

from collectors.sync.runner import COLLECTORS, run_collector
from m365admin.choices import LicenceKind, SyncStatus
from m365admin.overview import tenant_tiles


@pytest.mark.django_db
def test_a_synced_tenant_reads_as_the_issue_asks(client, viewer, sim_tenant):
    tenant, _ = sim_tenant
    for collector in COLLECTORS:
        assert run_collector(tenant, collector).status == SyncStatus.SUCCEEDED, collector
    client.force_login(viewer)
    page = client.get("/licences/")
    skus = {f.sku_part_number: f for f in page.context["skus"]}
    assert skus["FLOW_FREE"].kind == LicenceKind.FREE and skus["FLOW_FREE"].unused == 0
    assert skus["POWER_BI_PRO"].kind == LicenceKind.TRIAL
    assert skus["EXCHANGESTANDARD"].over_assigned
    assert skus["ENTERPRISEPACK"].product_name == "Office 365 E3"
    (tile,) = tenant_tiles()
    assert tile["licences"]["unused"] < 100  # FLOW_FREE's 10,000 units are not "unused"
    assert page.context["reclaim"] and not page.context["reclaim_more"]
