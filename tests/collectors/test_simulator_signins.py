"""/auditLogs/signIns: shapes, order, filters, retention, the moving clock, the stream index."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.simulator import GraphSimulator, SimTenant
from collectors.simulator.clock import DAY_US, parse_iso, to_us
from tests.samples import SAMPLES

TENANT = "4b2f7a10-5c3d-4e8f-9a1b-000000000021"
FREE = "4b2f7a10-5c3d-4e8f-9a1b-000000000022"
ANCHOR = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
COUNT = 3000


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sim = GraphSimulator(state_dir=tmp_path_factory.mktemp("sim"))
    sim.add_tenant(SimTenant(TENANT, "c", "s", users=80, signins=COUNT, days=30, anchor=ANCHOR))
    sim.add_tenant(SimTenant(FREE, "c", "s", users=20, signins=200, premium=False, anchor=ANCHOR))
    sim.now = ANCHOR
    sim.start()
    yield sim
    sim.stop()


def _pages(http: Any, url: str) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = url
    while next_url:
        body = http(next_url).json()
        pages.append(body["value"])
        next_url = body.get("@odata.nextLink")
    return pages


def _all(http: Any, url: str) -> list[dict[str, Any]]:
    """Every sign-in once, in the order served: deduplicated by id, as a client must."""
    unique = {item["id"]: item for page in _pages(http, url) for item in page}
    return list(unique.values())


def _oldest_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: item["createdDateTime"])


def _sample_keys(name: str) -> set[str]:
    return set(json.loads((SAMPLES / name).read_text())["value"][0])


def test_v1_items_have_the_sample_keys_and_no_beta_ones(http: Any) -> None:
    item = http("/v1.0/auditLogs/signIns?$top=5").json()["value"][0]
    assert _sample_keys("signins_list.json") <= set(item)
    assert not {"authenticationRequirement", "authenticationDetails", "signInEventTypes",
                "userType"} & set(item)


def test_beta_items_have_the_beta_sample_keys(http: Any) -> None:
    item = http("/beta/auditLogs/signIns?$top=5").json()["value"][0]
    assert _sample_keys("signins_list_beta.json") <= set(item)
    assert item["signInEventTypes"] == ["interactiveUser"]
    assert item["userType"] in ("member", "guest")


def test_the_window_holds_exactly_the_configured_count_newest_first(http: Any) -> None:
    items = _all(http, "/v1.0/auditLogs/signIns")
    assert len(items) == COUNT
    stamps = [parse_iso(i["createdDateTime"]) for i in items]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0] <= to_us(ANCHOR) and stamps[-1] >= to_us(ANCHOR) - 30 * DAY_US
    assert len({i["id"] for i in items}) == COUNT


def test_each_next_page_repeats_the_last_sign_in_of_the_page_before(http: Any) -> None:
    pages = _pages(http, "/v1.0/auditLogs/signIns?$top=400")
    assert len(pages) > 2
    for before, after in itertools.pairwise(pages):
        assert after[0]["id"] == before[-1]["id"]
        assert len({i["id"] for i in after}) == len(after) <= 400


def test_default_page_is_1000_and_top_is_clamped(http: Any) -> None:
    assert len(http("/v1.0/auditLogs/signIns").json()["value"]) == 1000
    assert len(http("/v1.0/auditLogs/signIns?$top=5000").json()["value"]) == 1000
    assert len(http("/v1.0/auditLogs/signIns?$top=7").json()["value"]) == 7
    assert http("/v1.0/auditLogs/signIns?$top=-1").status_code == 400


def test_time_filters_apply_and_orderby_asc_still_comes_newest_first(http: Any) -> None:
    lo, hi = "2025-02-20T00:00:00Z", "2025-02-21T00:00:00Z"
    items = _all(http, f"/v1.0/auditLogs/signIns?$filter=createdDateTime ge {lo} and "
                       f"createdDateTime le {hi}&$orderby=createdDateTime asc&$top=50")
    stamps = [i["createdDateTime"] for i in items]
    assert items and stamps == sorted(stamps, reverse=True)
    assert lo <= stamps[-1] and stamps[0] <= hi
    quoted = http(f"/v1.0/auditLogs/signIns?$filter=createdDateTime ge '{lo}'")
    assert quoted.status_code == 400


def test_user_and_error_code_filters(http: Any) -> None:
    items = _all(http, "/v1.0/auditLogs/signIns")
    user_id = Counter(i["userId"] for i in items).most_common(1)[0][0]
    mine = _all(http, f"/v1.0/auditLogs/signIns?$filter=userId eq '{user_id}'")
    assert len(mine) == sum(i["userId"] == user_id for i in items)
    bad = _all(http, "/v1.0/auditLogs/signIns?$filter=status/errorCode eq 50126")
    assert bad and all(i["status"]["errorCode"] == 50126 for i in bad)
    assert http("/v1.0/auditLogs/signIns?$filter=userType eq 'guest'").status_code == 400


def test_the_mix_is_realistic(http: Any) -> None:
    items = _all(http, "/beta/auditLogs/signIns")
    codes = Counter(i["status"]["errorCode"] for i in items)
    assert codes[0] > 0.7 * len(items)
    assert {50126, 50053, 50076, 53003, 50057} <= set(codes)
    assert {"IMAP", "POP", "SMTP", "Exchange ActiveSync"} & {i["clientAppUsed"] for i in items}
    assert {"singleFactorAuthentication", "multiFactorAuthentication"} == {
        i["authenticationRequirement"] for i in items}
    risky = [i for i in items if i["riskLevelDuringSignIn"] in ("medium", "high")]
    assert risky and all(i["riskState"] == "atRisk" for i in risky)
    assert any(i["location"]["geoCoordinates"] == {} for i in items)
    assert any(i["location"]["countryOrRegion"] in ("RU", "NG", "BR", "RO", "VN") for i in items)


def test_it_contains_a_brute_force_against_one_account(http: Any) -> None:
    items = _oldest_first(_all(http, "/v1.0/auditLogs/signIns"))
    by_ip_user: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item["status"]["errorCode"] in (50126, 50053):
            by_ip_user[(item["ipAddress"], item["userId"])].append(item)
    burst = max(by_ip_user.values(), key=len)
    span = parse_iso(burst[-1]["createdDateTime"]) - parse_iso(burst[0]["createdDateTime"])
    assert len(burst) == 12 and span < 10 * 60 * 1_000_000
    assert [i["status"]["errorCode"] for i in burst[-2:]] == [50053, 50053]


def test_it_contains_a_password_spray_and_an_impossible_travel(http: Any) -> None:
    items = _oldest_first(_all(http, "/v1.0/auditLogs/signIns"))
    by_ip: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item["status"]["errorCode"] == 50126:
            by_ip[item["ipAddress"]].append(item)
    spray = max(by_ip.values(), key=len)
    span = parse_iso(spray[-1]["createdDateTime"]) - parse_iso(spray[0]["createdDateTime"])
    assert len({i["userId"] for i in spray}) >= 10 and span < 15 * 60 * 1_000_000
    travel = [i for i in items if "unlikelyTravel" in i["riskEventTypes_v2"]]
    assert travel
    later = travel[0]
    earlier = [i for i in items if i["userId"] == later["userId"]
               and i["location"]["countryOrRegion"] == "JP"
               and 0 < parse_iso(later["createdDateTime"]) - parse_iso(i["createdDateTime"])
               < 3600 * 1_000_000]
    assert earlier and later["location"]["countryOrRegion"] != "JP"


def test_moving_the_clock_reveals_new_sign_ins_and_retention_hides_old_ones(
        http: Any, sim: GraphSimulator) -> None:
    before = _all(http, "/v1.0/auditLogs/signIns")
    sim.now = ANCHOR + timedelta(days=1)
    try:
        after = _all(http, "/v1.0/auditLogs/signIns")
    finally:
        sim.now = ANCHOR
    new = {i["id"] for i in after} - {i["id"] for i in before}
    assert 50 < len(new) < 200  # ~100 a day at 3,000 per 30 days
    assert min(i["createdDateTime"] for i in after) >= "2025-01-31T09:30:00"


def test_added_sign_ins_are_listed_and_update_sign_in_activity(http: Any, sim: GraphSimulator) -> None:
    tenant = sim.tenant(TENANT)
    user = next(u for u in tenant.users.values() if u["userType"] == "Member")
    added = tenant.add_signins([{"userId": user["id"], "createdDateTime": "2025-03-01T09:00:00Z",
                                 "status": {"errorCode": 50126}, "ipAddress": "203.0.113.9"}])
    assert added[0]["userPrincipalName"] == user["userPrincipalName"]
    found = _all(http, "/v1.0/auditLogs/signIns?$filter=ipAddress eq '203.0.113.9'")
    assert [i["id"] for i in found] == [added[0]["id"]]
    assert "authenticationDetails" not in found[0]
    assert tenant.sign_in_activity(user["id"])["lastSignInDateTime"] == "2025-03-01T09:00:00Z"


def test_non_premium_tenants_get_403(http: Any) -> None:
    response = http("/v1.0/auditLogs/signIns", tenant=FREE)
    assert response.status_code == 403
    expected = json.loads((SAMPLES / "error_non_premium_tenant.json").read_text())["error"]
    assert response.json()["error"]["code"] == expected["code"]
    assert response.json()["error"]["message"] == expected["message"]


def test_the_index_lookup_matches_a_brute_force_scan(sim: GraphSimulator) -> None:
    stream = sim.tenant(TENANT).signins
    uniform = [stream.uniform_time(n) for n in range(stream.uniform + 50)]
    assert uniform == sorted(set(uniform))
    for t in [*uniform[::97], uniform[10] + 1, uniform[0] - 5, stream.epoch - DAY_US]:
        assert stream.uniform_first(t) == next(n for n, at in enumerate(uniform) if at >= t)
    episodes = [stream.episode_time(m) for m in range(stream.episodes * stream.episode_size + 5)]
    assert episodes == sorted(episodes)
    for t in [*episodes[::5], episodes[3] + 1]:
        assert stream.episode_first(t) == next(m for m, at in enumerate(episodes) if at >= t)


def test_a_million_sign_ins_cost_no_memory_and_lookups_are_direct() -> None:
    tenant = SimTenant("4b2f7a10-5c3d-4e8f-9a1b-000000000029", "c", "s", users=30,
                       signins=10_000_000, anchor=ANCHOR)
    stream = tenant.signins
    assert stream.uniform > 9_900_000
    t = to_us(ANCHOR) - DAY_US
    n = stream.uniform_first(t)
    assert stream.uniform_time(n) >= t > stream.uniform_time(n - 1)
    assert stream.uniform_item(n, False)["id"] == stream.uniform_item(n, False)["id"]
