"""Usage reports: 302 to an unauthenticated CSV download, beta JSON, ETags, validation."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.simulator import GraphSimulator, SimTenant
from tests.samples import SAMPLES

TENANT = "9c8d7e6f-1a2b-4c3d-8e4f-000000000031"
ANCHOR = datetime(2025, 3, 1, tzinfo=UTC)
CONTRACT = json.loads((SAMPLES / "reports_csv_contract.json").read_text())
REPORTS = ["getMailboxUsageDetail", "getOneDriveUsageAccountDetail", "getTeamsUserActivityUserDetail"]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sim = GraphSimulator(state_dir=tmp_path_factory.mktemp("sim"))
    sim.add_tenant(SimTenant(TENANT, "c", "s", users=450, signins=200, anchor=ANCHOR))
    sim.now = ANCHOR
    sim.start()
    yield sim
    sim.stop()


@pytest.mark.parametrize("report", REPORTS)
def test_reports_redirect_to_a_csv_with_the_contract_columns(http: Any, sim: GraphSimulator,
                                                             report: str) -> None:
    response = http(f"/v1.0/reports/{report}(period='D7')")
    assert response.status_code == 302
    assert response.headers["Content-Type"].startswith("text/plain")
    location = response.headers["Location"]
    assert location.startswith(sim.base_url)
    download = http(location, auth=False)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/octet-stream"
    text = download.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == CONTRACT[report]
    assert len(rows) > 10 and all(len(r) == len(rows[0]) for r in rows)
    assert {r[-1] for r in rows[1:]} == {"7"}
    assert sim.requests[-1].headers.get("authorization") is None


def test_some_mailboxes_are_near_quota(http: Any) -> None:
    location = http("/v1.0/reports/getMailboxUsageDetail(period='D30')").headers["Location"]
    rows = list(csv.DictReader(io.StringIO(http(location, auth=False).text.lstrip("\ufeff"))))
    ratios = [int(r["Storage Used (Byte)"]) / int(r["Prohibit Send Quota (Byte)"]) for r in rows]
    assert any(r > 0.9 for r in ratios) and max(ratios) < 1.0


@pytest.mark.parametrize(("path", "status"), [
    ("getMailboxUsageDetail(period='D8')", 400),
    ("getMailboxUsageDetail(period=D7)", 400),
    ("getMailboxUsageDetail(date=2025-02-27)", 400),
    ("getOneDriveUsageAccountDetail(date=2025-02-27)", 302),
    ("getOneDriveUsageAccountDetail(date=2024-01-01)", 400),
    ("getTeamsUserActivityUserDetail(period='D180')", 302),
    ("getSomethingElse(period='D7')", 400),
])
def test_report_arguments_are_validated(http: Any, path: str, status: int) -> None:
    assert http(f"/v1.0/reports/{path}").status_code == status


def test_if_none_match_gives_304(http: Any) -> None:
    first = http("/v1.0/reports/getOneDriveUsageAccountDetail(period='D7')")
    again = http("/v1.0/reports/getOneDriveUsageAccountDetail(period='D7')",
                 headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    other = http("/v1.0/reports/getOneDriveUsageAccountDetail(period='D7')",
                 headers={"If-None-Match": '"stale"'})
    assert other.status_code == 302


def test_download_links_expire(http: Any, sim: GraphSimulator) -> None:
    location = http("/v1.0/reports/getMailboxUsageDetail(period='D7')").headers["Location"]
    sim.now = ANCHOR + timedelta(minutes=10)
    try:
        assert http(location, auth=False).status_code == 404
    finally:
        sim.now = ANCHOR


@pytest.mark.parametrize(("report", "sample"), [
    ("getMailboxUsageDetail", "mailbox_usage_detail.json"),
    ("getOneDriveUsageAccountDetail", "onedrive_usage_account_detail.json"),
])
def test_beta_json_pages_have_the_sample_fields(http: Any, report: str, sample: str) -> None:
    url: str | None = f"/beta/reports/{report}(period='D7')?$format=application/json"
    pages = []
    while url:
        response = http(url)
        assert response.status_code == 200
        pages.append(response.json())
        url = pages[-1].get("@odata.nextLink")
    expected = json.loads((SAMPLES / sample).read_text())["value"][0]
    assert set(pages[0]["value"][0]) == set(expected)
    assert len(pages) >= 2 and len(pages[0]["value"]) == 200
    assert pages[0]["value"][0]["reportPeriod"] == "7"


def test_concealed_names_hide_users(http: Any, sim: GraphSimulator) -> None:
    tenant = sim.tenant(TENANT)
    tenant.display_concealed_names = True
    try:
        assert http("/v1.0/admin/reportSettings").json()["displayConcealedNames"] is True
        body = http("/beta/reports/getMailboxUsageDetail(period='D7')?$format=application/json").json()
    finally:
        tenant.display_concealed_names = False
    upns = {u["userPrincipalName"] for u in tenant.users.values()}
    assert not {row["userPrincipalName"] for row in body["value"]} & upns
