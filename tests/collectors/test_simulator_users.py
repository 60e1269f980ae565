"""Users list, $count, signInActivity and users delta against the simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.simulator import Fault, GraphSimulator, SimTenant
from tests.samples import SAMPLES

TENANT = "0a5e1c2d-3f4a-4b5c-8d6e-000000000011"
OTHER = "0a5e1c2d-3f4a-4b5c-8d6e-000000000012"
FREE = "0a5e1c2d-3f4a-4b5c-8d6e-000000000013"
ANCHOR = datetime(2025, 3, 1, tzinfo=UTC)
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
EVENTUAL = {"ConsistencyLevel": "eventual"}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sim = GraphSimulator(state_dir=tmp_path_factory.mktemp("sim"))
    sim.add_tenant(SimTenant(TENANT, "c", "s", users=1100, signins=200, anchor=ANCHOR))
    sim.add_tenant(SimTenant(OTHER, "c", "s", users=30, signins=200, seed=2, anchor=ANCHOR))
    sim.add_tenant(SimTenant(FREE, "c", "s", users=30, signins=200, premium=False, anchor=ANCHOR))
    sim.now = ANCHOR
    sim.start()
    yield sim
    sim.stop()


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def _all_pages(http: Any, url: str, **kw: Any) -> list[dict[str, Any]]:
    pages = []
    next_url: str | None = url
    while next_url:
        response = http(next_url, **kw)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        next_url = pages[-1].get("@odata.nextLink")
    return pages


def test_the_default_projection_matches_the_sample(http: Any) -> None:
    body = http("/v1.0/users").json()
    assert len(body["value"]) == 100
    assert set(body["value"][0]) == set(_sample("users_list.json")["value"][0])
    assert body["@odata.nextLink"].startswith("https://127.0.0.1:")


def test_select_projects_and_always_keeps_the_id(http: Any) -> None:
    body = http("/v1.0/users?$select=displayName,assignedLicenses").json()
    assert set(body["value"][0]) == {"id", "displayName", "assignedLicenses"}
    assert body["@odata.context"].endswith("users(displayName,assignedLicenses)")


@pytest.mark.parametrize(("select", "status", "code"), [
    ("aboutMe", 501, "NotImplemented"), ("id,skills", 501, "NotImplemented"),
    ("nonsense", 400, "Request_BadRequest"),
])
def test_select_rejects_what_graph_rejects(http: Any, select: str, status: int, code: str) -> None:
    response = http(f"/v1.0/users?$select={select}")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_paging_covers_every_user_once_and_ends(http: Any, sim: GraphSimulator) -> None:
    pages = _all_pages(http, "/v1.0/users?$select=id&$top=999")
    ids = [u["id"] for page in pages for u in page["value"]]
    assert [len(p["value"]) for p in pages] == [999, 101]
    assert sorted(ids) == sorted(sim.tenant(TENANT).users)
    assert "$select=id" in pages[0]["@odata.nextLink"]


def test_top_is_clamped_and_validated(http: Any) -> None:
    assert len(http("/v1.0/users?$top=5000&$select=id").json()["value"]) == 999
    assert len(http("/v1.0/users?$top=5000&$select=id,signInActivity").json()["value"]) == 500
    assert http("/v1.0/users?$top=0").status_code == 400
    assert http("/v1.0/users?$top=abc").status_code == 400


def test_a_next_link_is_not_readable_by_another_tenant(http: Any) -> None:
    link = http("/v1.0/users?$top=5").json()["@odata.nextLink"]
    assert http(link, tenant=OTHER).status_code == 400
    assert http(link).status_code == 200


def test_re_sending_query_options_on_a_next_link_is_rejected(http: Any) -> None:
    link = http("/v1.0/users?$top=5&$select=id").json()["@odata.nextLink"]
    assert http(link + "&$select=id").status_code == 400


@pytest.mark.parametrize("query", [
    "$filter=accountEnabled ne true", "$filter=endsWith(mail,'.com')",
    "$filter=assignedLicenses/$count eq 0", "$filter=not(accountEnabled eq true)",
    "$count=true", "$filter=startsWith(displayName,'a')&$orderby=displayName",
])
def test_advanced_queries_need_the_header_and_count(http: Any, query: str) -> None:
    with_count = query if "$count=true" in query else f"{query}&$count=true"
    for url, headers in ((query, {}), (with_count, {}), (query, EVENTUAL)):
        if url == with_count and headers:
            continue
        response = http(f"/v1.0/users?{url}", headers=headers)
        assert response.status_code == 400, (url, headers)
        assert response.json()["error"]["code"] == "Request_UnsupportedQuery"
    assert http(f"/v1.0/users?{with_count}", headers=EVENTUAL).status_code == 200


def test_count_appears_on_the_first_page_only(http: Any, sim: GraphSimulator) -> None:
    disabled = sum(not u["accountEnabled"] for u in sim.tenant(TENANT).users.values())
    pages = _all_pages(http, "/v1.0/users?$filter=accountEnabled ne true&$count=true&$top=20",
                       headers=EVENTUAL)
    assert pages[0]["@odata.count"] == disabled
    assert all("@odata.count" not in page for page in pages[1:])
    assert sum(len(p["value"]) for p in pages) == disabled


def test_users_count_is_plain_text_and_needs_the_header(http: Any) -> None:
    assert http("/v1.0/users/$count").status_code == 400
    response = http("/v1.0/users/$count", headers=EVENTUAL)
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "1100"


def test_basic_filters(http: Any, sim: GraphSimulator) -> None:
    users = sim.tenant(TENANT).users.values()
    guests = http("/v1.0/users?$filter=userType eq 'Guest'&$select=userPrincipalName&$top=999").json()
    assert len(guests["value"]) == sum(u["userType"] == "Guest" for u in users) > 0
    assert all("#EXT#" in u["userPrincipalName"] for u in guests["value"])
    upn = guests["value"][0]["userPrincipalName"]
    found = http(f"/v1.0/users?$filter=userPrincipalName eq '{upn.replace('#', '%23')}'").json()
    assert [u["userPrincipalName"] for u in found["value"]] == [upn]
    licensed = http(f"/v1.0/users?$filter=assignedLicenses/any(x:x/skuId eq {E3})&$top=999").json()
    assert len(licensed["value"]) == sum(
        any(lic["skuId"] == E3 for lic in u["assignedLicenses"]) for u in users)
    assert http("/v1.0/users?$filter=contains(displayName,'a')").status_code == 400
    assert http("/v1.0/users?$filter=aboutMe eq 'x'").status_code == 400


def test_sign_in_activity_uses_sentinels_and_omits_never_signed_in(http: Any, sim: GraphSimulator) -> None:
    pages = _all_pages(http, "/v1.0/users?$select=id,displayName,signInActivity&$top=500")
    users = [u for page in pages for u in page["value"]]
    with_activity = [u for u in users if "signInActivity" in u]
    assert 0 < len(with_activity) < len(users)
    keys = set(_sample("users_list_sign_in_activity.json")["value"][0]["signInActivity"])
    assert all(set(u["signInActivity"]) == keys for u in with_activity)
    blanks = {u["signInActivity"]["lastSuccessfulSignInDateTime"] for u in with_activity} | {
        u["signInActivity"]["lastNonInteractiveSignInDateTime"] for u in with_activity}
    assert {"", None, "0001-01-01T00:00:00Z"} <= blanks
    stale = http("/v1.0/users?$filter=signInActivity/lastSignInDateTime le 2024-12-01T00:00:00Z"
                 "&$select=id,signInActivity&$top=500").json()["value"]
    assert stale and all(u["signInActivity"]["lastSignInDateTime"] < "2024-12-01" for u in stale)


def test_non_premium_tenants_get_403_for_sign_in_activity(http: Any) -> None:
    response = http("/v1.0/users?$select=id,signInActivity", tenant=FREE)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert http("/v1.0/users?$select=id", tenant=FREE).status_code == 200


def test_get_user_by_id_or_upn(http: Any, sim: GraphSimulator) -> None:
    user = next(iter(sim.tenant(TENANT).users.values()))
    assert http(f"/v1.0/users/{user['id']}").json()["id"] == user["id"]
    assert http(f"/v1.0/users/{user['userPrincipalName']}").json()["id"] == user["id"]
    missing = http("/v1.0/users/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"


# Delta

@pytest.fixture
def small_pages(sim: GraphSimulator) -> Any:
    sim.delta_page_size = 7
    yield
    sim.delta_page_size = 100
    sim.delta_replays = 0


def _round(http: Any, url: str, headers: dict[str, str] | None = None,
           tenant: str = OTHER) -> tuple[list[dict[str, Any]], str, int]:
    pages = _all_pages(http, url, tenant=tenant, headers=headers)
    assert all("@odata.deltaLink" not in p for p in pages[:-1])
    return [i for p in pages for i in p["value"]], pages[-1]["@odata.deltaLink"], len(pages)


def test_delta_rounds_report_changes_and_removals(http: Any, sim: GraphSimulator,
                                                  small_pages: None) -> None:
    tenant = sim.tenant(OTHER)
    items, link, pages = _round(http, "/v1.0/users/delta?$select=displayName,jobTitle")
    assert pages == 5 and len(items) == 30
    assert set(items[0]) == {"id", "displayName", "jobTitle"}
    ids = [u["id"] for u in items]
    tenant.update_user(ids[0], jobTitle="部長")
    tenant.update_user(ids[0], displayName="New Name")
    tenant.update_user(ids[1], mobilePhone="+81 90-0000-0000")  # not selected: not tracked
    tenant.delete_user(ids[2])
    tenant.delete_user(ids[3], permanent=True)
    added = tenant.add_user(displayName="追加 ユーザー")
    changes, link2, _ = _round(http, link)
    by_id = {c["id"]: c for c in changes}
    assert set(by_id) == {ids[0], ids[2], ids[3], added["id"]}
    assert by_id[ids[0]] == {"id": ids[0], "displayName": "New Name", "jobTitle": "部長"}
    assert by_id[ids[2]]["@removed"] == {"reason": "changed"}
    assert by_id[ids[3]]["@removed"] == {"reason": "deleted"}
    assert by_id[added["id"]]["displayName"] == "追加 ユーザー"
    nothing, _, _ = _round(http, link2)
    assert nothing == []
    tenant.update_user(ids[4], jobTitle="課長")
    minimal, _, _ = _round(http, link2, headers={"Prefer": "return=minimal"})
    assert minimal == [{"id": ids[4], "jobTitle": "課長"}]


def test_delta_latest_replays_and_filters(http: Any, sim: GraphSimulator, small_pages: None) -> None:
    latest = http("/v1.0/users/delta?$deltatoken=latest", tenant=OTHER).json()
    assert latest["value"] == [] and "@odata.deltaLink" in latest
    sim.delta_replays = 3
    items, _, _ = _round(http, "/v1.0/users/delta?$select=id")
    assert len(items) == len({i["id"] for i in items}) + 3
    first = items[0]["id"]
    only, _, _ = _round(http, f"/v1.0/users/delta?$filter=id eq '{first}'")
    assert [i["id"] for i in only][:1] == [first]
    assert http("/v1.0/users/delta?$top=5", tenant=OTHER).status_code == 400
    assert http("/v1.0/users/delta?$filter=displayName eq 'x'", tenant=OTHER).status_code == 400


def test_expired_delta_tokens_need_a_resync(http: Any, sim: GraphSimulator) -> None:
    _, link, _ = _round(http, "/v1.0/users/delta?$select=id")
    sim.now = ANCHOR + timedelta(days=8)
    try:
        response = http(link, tenant=OTHER)
    finally:
        sim.now = ANCHOR
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "syncStateNotFound"
    assert http(link.replace("deltatoken=", "deltatoken=x"), tenant=OTHER).status_code == 400


def test_gone_fault_points_at_a_fresh_round(http: Any, sim: GraphSimulator) -> None:
    _, link, _ = _round(http, "/v1.0/users/delta?$select=displayName")
    sim.faults.add(Fault("gone", path=r"/users/delta\?\$deltatoken="))
    response = http(link, tenant=OTHER)
    assert response.status_code == 410
    assert response.headers["Location"] == f"{sim.base_url}/v1.0/users/delta?$select=displayName"
    fresh, _, _ = _round(http, response.headers["Location"])
    assert len(fresh) == len(sim.tenant(OTHER).users) + 2  # plus the two removals so far
