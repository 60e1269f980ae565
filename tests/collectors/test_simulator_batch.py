"""POST /$batch: limits, ids, per-item results, dependsOn, shuffled order, item throttling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from collectors.simulator import Fault, GraphSimulator, SimTenant

TENANT = "7f6e5d4c-3b2a-4190-8f7e-000000000051"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sim = GraphSimulator(state_dir=tmp_path_factory.mktemp("sim"))
    sim.add_tenant(SimTenant(TENANT, "c", "s", users=40, signins=300,
                             anchor=datetime(2025, 3, 1, tzinfo=UTC)))
    sim.start()
    yield sim
    sim.faults.clear()
    sim.stop()


@pytest.fixture(scope="module")
def post(sim: GraphSimulator) -> Any:
    session = requests.Session()
    token = sim.issue_token(TENANT)

    def send(requests_: list[dict[str, Any]] | Any, version: str = "v1.0") -> requests.Response:
        body = {"requests": requests_} if isinstance(requests_, list) else requests_
        return session.post(f"{sim.base_url}/{version}/$batch", json=body, verify=sim.ca_bundle,
                            headers={"Authorization": f"Bearer {token}"}, timeout=20)
    return send


def _get(id_: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "method": "GET", "url": url, **extra}


def test_items_come_back_by_id_in_a_different_order(post: Any) -> None:
    response = post([_get("1", "/users?$select=id&$top=2"), _get("2", "subscribedSkus"),
                     _get("3", "/users/00000000-0000-0000-0000-000000000000"),
                     _get("4", "/users?$count=true&$filter=accountEnabled eq false",
                          headers={"ConsistencyLevel": "eventual"})])
    assert response.status_code == 200
    items = response.json()["responses"]
    assert [i["id"] for i in items] != ["1", "2", "3", "4"]
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {"1", "2", "3", "4"}
    assert by_id["1"]["status"] == 200 and len(by_id["1"]["body"]["value"]) == 2
    assert by_id["1"]["body"]["@odata.nextLink"].startswith("https://")
    assert by_id["1"]["headers"]["Content-Type"].startswith("application/json")
    assert by_id["3"]["status"] == 404
    assert by_id["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert "@odata.count" in by_id["4"]["body"]
    again = post([_get("1", "/users?$select=id&$top=2"), _get("2", "subscribedSkus"),
                  _get("3", "/users/00000000-0000-0000-0000-000000000000"),
                  _get("4", "/users?$count=true&$filter=accountEnabled eq false",
                       headers={"ConsistencyLevel": "eventual"})])
    assert [i["id"] for i in again.json()["responses"]] == [i["id"] for i in items]


@pytest.mark.parametrize("payload", [
    [_get(str(n), "/users") for n in range(21)],
    [_get("a", "/users"), _get("A", "/subscribedSkus")],
    [{"id": "1", "url": "/users"}],
    [_get("1", "/users", dependsOn=["9"])],
    {"nothing": []},
    [],
])
def test_malformed_batches_are_rejected_whole(post: Any, payload: Any) -> None:
    response = post(payload)
    assert response.status_code == 400
    assert "innerError" in response.json()["error"]


def test_twenty_requests_are_fine(post: Any) -> None:
    response = post([_get(str(n), "/organization") for n in range(20)])
    assert response.status_code == 200 and len(response.json()["responses"]) == 20


def test_failed_dependencies_give_424(post: Any) -> None:
    items = post([_get("1", "/users/missing-user"), _get("2", "/users", dependsOn=["1"]),
                  _get("3", "/organization"), _get("4", "/subscribedSkus", dependsOn=["3"])]
                 ).json()["responses"]
    status = {i["id"]: i["status"] for i in items}
    assert status == {"1": 404, "2": 424, "3": 200, "4": 200}


def test_item_throttling_puts_retry_after_in_the_item(post: Any, sim: GraphSimulator) -> None:
    sim.faults.add(Fault("batch_item_status", path=r"/subscribedSkus", retry_after="3"))
    try:
        items = post([_get("1", "/organization"), _get("2", "/subscribedSkus")]).json()["responses"]
    finally:
        sim.faults.clear()
    by_id = {i["id"]: i for i in items}
    assert by_id["1"]["status"] == 200
    assert by_id["2"]["status"] == 429 and by_id["2"]["headers"]["Retry-After"] == "3"
    assert by_id["2"]["body"]["error"]["code"] == "TooManyRequests"
    sim.faults.add(Fault("batch_item_status", ids=["b"], status=503, times=None))
    try:
        items = post([_get("a", "/organization"), _get("b", "/organization")]).json()["responses"]
    finally:
        sim.faults.clear()
    assert {i["id"]: i["status"] for i in items} == {"a": 200, "b": 503}


def test_inner_requests_use_the_outer_token(sim: GraphSimulator) -> None:
    response = requests.post(f"{sim.base_url}/v1.0/$batch", verify=sim.ca_bundle, timeout=10,
                             json={"requests": [_get("1", "/users")]})
    assert response.status_code == 401
