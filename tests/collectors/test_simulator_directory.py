"""Teams, groups, service health and subscribedSkus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from collectors.simulator import GraphSimulator, SimTenant
from tests.samples import SAMPLES

TENANT = "2e3f4a5b-6c7d-4e8f-9a0b-000000000041"
ANCHOR = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sim = GraphSimulator(state_dir=tmp_path_factory.mktemp("sim"))
    sim.add_tenant(SimTenant(TENANT, "c", "s", users=400, signins=200, anchor=ANCHOR))
    sim.now = ANCHOR
    sim.start()
    yield sim
    sim.stop()


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def _all(http: Any, url: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        body = http(next_url, headers).json()
        items += body["value"]
        next_url = body.get("@odata.nextLink")
    return items


def test_teams_list_returns_only_the_basic_fields(http: Any, sim: GraphSimulator) -> None:
    teams = _all(http, "/v1.0/teams?$top=10")
    assert len(teams) == len(sim.tenant(TENANT).teams)
    assert all(set(t) == set(_sample("teams_list.json")["value"][0]) for t in teams)


def test_groups_can_be_filtered_to_teams(http: Any, sim: GraphSimulator) -> None:
    groups = _all(http, "/v1.0/groups")
    teams = _all(http, "/v1.0/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')")
    assert len(groups) > len(teams) == len(sim.tenant(TENANT).teams)
    assert set(_sample("groups_with_teams.json")["value"][0]) <= set(teams[0])


def test_team_details(http: Any, sim: GraphSimulator) -> None:
    teams = sim.tenant(TENANT).teams
    details = [http(f"/v1.0/teams/{team_id}").json() for team_id in teams]
    assert all(set(_sample("team_get.json")) <= set(d) for d in details)
    assert {d["isArchived"] for d in details} == {True, False}
    assert not any(k.startswith("_") for k in details[0])
    missing = http("/v1.0/teams/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
    members = http(f"/v1.0/teams/{next(iter(teams))}/members").json()["value"]
    assert members and any("owner" in m["roles"] for m in members)


def test_health_overviews_use_pascal_case_and_show_one_degraded_service(http: Any) -> None:
    body = http("/v1.0/admin/serviceAnnouncement/healthOverviews?$expand=issues").json()
    sample = _sample("service_health_overviews.json")["value"][0]
    assert all(set(sample) | {"issues"} == set(s) for s in body["value"])
    statuses = [s["status"] for s in body["value"]]
    assert statuses.count("ServiceDegradation") == 1 and statuses.count("ServiceOperational") >= 5
    degraded = next(s for s in body["value"] if s["status"] == "ServiceDegradation")
    open_issues = [i for i in degraded["issues"] if not i["isResolved"]]
    assert open_issues and open_issues[0]["classification"] == "Incident"
    assert open_issues[0]["endDateTime"] is None
    assert all(len(s["issues"]) <= 20 for s in body["value"])


def test_issues_page_with_skip_and_honour_maxpagesize(http: Any) -> None:
    first = http("/v1.0/admin/serviceAnnouncement/issues").json()
    assert len(first["value"]) == 100 and first["@odata.nextLink"].endswith("$skip=100")
    everything = _all(http, "/v1.0/admin/serviceAnnouncement/issues")
    assert len(everything) == len({i["id"] for i in everything}) > 100
    assert set(_sample("service_health_issues.json")["value"][0]) == set(everything[0])
    big = http("/v1.0/admin/serviceAnnouncement/issues",
               headers={"Prefer": "odata.maxpagesize=5000"})
    assert "@odata.nextLink" not in big.json()
    assert big.headers["Preference-Applied"] == "odata.maxpagesize=1000"
    advisory = [i for i in everything if i["classification"] == "Advisory" and i["isResolved"]]
    assert advisory
    unresolved = _all(http, "/v1.0/admin/serviceAnnouncement/issues?$filter=isResolved eq false")
    assert [i["isResolved"] for i in unresolved] == [False]


def test_subscribed_skus_match_the_sample_and_the_assignments(http: Any, sim: GraphSimulator) -> None:
    skus = http("/v1.0/subscribedSkus").json()["value"]
    assert all(set(s) == set(_sample("subscribed_skus.json")["value"][0]) for s in skus)
    by_part = {s["skuPartNumber"]: s for s in skus}
    assert by_part["ENTERPRISEPACK"]["skuId"] == "6fd2c87f-b296-42f0-b197-1e91e994b900"
    assert by_part["SPE_E5"]["skuId"] == "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
    users = sim.tenant(TENANT).users.values()
    for sku in skus:
        assigned = sum(any(lic["skuId"] == sku["skuId"] for lic in u["assignedLicenses"])
                       for u in users)
        assert sku["consumedUnits"] == assigned
    assert {s["capabilityStatus"] for s in skus} >= {"Enabled"}
    assert http("/v1.0/subscribedSkus?$filter=skuId eq 'x'").status_code == 400
    assert set(http("/v1.0/subscribedSkus?$select=skuId,consumedUnits").json()["value"][0]) == {
        "skuId", "consumedUnits"}


def test_unknown_routes_and_methods_get_envelopes(http: Any, sim: GraphSimulator) -> None:
    unknown = http("/v1.0/nothingHere")
    assert unknown.status_code == 400
    assert set(unknown.json()["error"]) == {"code", "message", "innerError"}
    posted = requests.post(f"{sim.base_url}/v1.0/users", verify=sim.ca_bundle, timeout=10,
                           headers={"Authorization": f"Bearer {sim.issue_token(TENANT)}"})
    assert posted.status_code == 405


def test_subscriptions_match_the_sample_and_the_skus(http: Any, sim: GraphSimulator) -> None:
    subscriptions = _all(http, "/v1.0/directory/subscriptions?$top=2")
    assert all(set(s) == set(_sample("company_subscriptions.json")["value"][0])
               for s in subscriptions)
    skus = {s["skuId"]: s for s in http("/v1.0/subscribedSkus").json()["value"]}
    assert {s["skuId"] for s in subscriptions} == set(skus)
    for subscription in subscriptions:
        assert subscription["id"] in skus[subscription["skuId"]]["subscriptionIds"]
    by_part = {s["skuPartNumber"]: s for s in subscriptions}
    assert (by_part["POWER_BI_PRO"]["isTrial"], by_part["POWER_BI_PRO"]["status"]) == (True,
                                                                                       "Warning")
    assert by_part["FLOW_FREE"]["nextLifecycleDateTime"] is None


def test_subscriptions_page_select_and_refuse_filters(http: Any, sim: GraphSimulator) -> None:
    first = http("/v1.0/directory/subscriptions?$top=1&$select=skuId,status").json()
    assert set(first["value"][0]) == {"skuId", "status"}
    # The selection holds on the next page, which the link carries by itself.
    assert set(http(first["@odata.nextLink"]).json()["value"][0]) == {"skuId", "status"}
    refused = http("/v1.0/directory/subscriptions?$filter=isTrial eq true")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "Request_UnsupportedQuery"
    assert http("/v1.0/directory/subscriptions?$select=price").status_code == 400
    assert http("/v1.0/directory/subscriptions", auth=False).status_code == 401
