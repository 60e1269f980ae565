"""Fault injection: status codes with Retry-After, delays, damaged bodies, matching rules."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
import requests

from collectors.simulator import Fault, GraphSimulator, SimTenant

TENANT = "5a4b3c2d-1e0f-4a9b-8c7d-000000000061"
OTHER = "5a4b3c2d-1e0f-4a9b-8c7d-000000000062"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sim = GraphSimulator(state_dir=tmp_path_factory.mktemp("sim"))
    for tenant in (TENANT, OTHER):
        sim.add_tenant(SimTenant(tenant, "c", "s", users=20, signins=200,
                                 anchor=datetime(2025, 3, 1, tzinfo=UTC)))
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def _clear(sim: GraphSimulator) -> Any:
    yield
    sim.faults.clear()


def _get(sim: GraphSimulator, path: str, tenant: str = TENANT,
         token: str | None = None) -> requests.Response:
    token = token or sim.issue_token(tenant)
    return requests.get(sim.base_url + path, headers={"Authorization": f"Bearer {token}"},
                        verify=sim.ca_bundle, timeout=20)


@pytest.mark.parametrize("retry_after", ["2", "0.5", "Wed, 21 Oct 2015 07:28:00 GMT", None])
def test_429_with_any_retry_after(sim: GraphSimulator, retry_after: str | None) -> None:
    sim.faults.add(Fault("status", path=r"^/v1\.0/users", status=429, retry_after=retry_after))
    response = _get(sim, "/v1.0/users?$select=id")
    assert response.status_code == 429
    assert response.headers.get("Retry-After") == retry_after
    error = response.json()["error"]
    assert error["code"] == "TooManyRequests" and error["innerError"]["status"] == "429"
    assert _get(sim, "/v1.0/users?$select=id").status_code == 200  # times=1


@pytest.mark.parametrize(("status", "code"), [(503, "serviceNotAvailable"), (504, "GatewayTimeout"),
                                              (403, "Authorization_RequestDenied")])
def test_other_statuses(sim: GraphSimulator, status: int, code: str) -> None:
    sim.faults.add(Fault("status", path="subscribedSkus", status=status))
    response = _get(sim, "/v1.0/subscribedSkus")
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert "Retry-After" not in response.headers


def test_a_403_with_a_chosen_code(sim: GraphSimulator) -> None:
    sim.faults.add(Fault("status", path="auditLogs", status=403,
                         code="Authentication_RequestFromNonPremiumTenantOrB2CTenant"))
    response = _get(sim, "/v1.0/auditLogs/signIns")
    assert response.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


def test_a_401_expires_the_token_for_good(sim: GraphSimulator) -> None:
    token = sim.issue_token(TENANT)
    sim.faults.add(Fault("status", path="users", status=401))
    first = _get(sim, "/v1.0/users", token=token)
    assert first.status_code == 401 and "WWW-Authenticate" in first.headers
    assert _get(sim, "/v1.0/users", token=token).status_code == 401
    assert _get(sim, "/v1.0/users").status_code == 200


def test_after_times_method_and_tenant_narrow_the_match(sim: GraphSimulator) -> None:
    fault = sim.faults.add(Fault("status", path="organization", status=503, after=1, times=2,
                                 tenant=TENANT, method="GET"))
    statuses = [_get(sim, "/v1.0/organization").status_code for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    assert _get(sim, "/v1.0/organization", tenant=OTHER).status_code == 200
    assert (fault.seen, fault.applied) == (4, 2)


def test_delay(sim: GraphSimulator) -> None:
    sim.faults.add(Fault("delay", path="organization", seconds=0.3))
    started = time.perf_counter()
    assert _get(sim, "/v1.0/organization").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_truncate_keeps_content_length_honest(sim: GraphSimulator) -> None:
    full = _get(sim, "/v1.0/users").content
    sim.faults.add(Fault("truncate", path="users"))
    response = _get(sim, "/v1.0/users")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) == len(full) // 2
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(response.content)


def test_not_json(sim: GraphSimulator) -> None:
    sim.faults.add(Fault("not_json", path="users"))
    response = _get(sim, "/v1.0/users")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<html>")


def test_mutate_rewrites_the_body(sim: GraphSimulator) -> None:
    def blank_dates(body: dict[str, Any]) -> None:
        for item in body["value"]:
            item["status"] = "SomethingNew"
    sim.faults.add(Fault("mutate", path="healthOverviews", func=blank_dates))
    mutated = _get(sim, "/v1.0/admin/serviceAnnouncement/healthOverviews").json()
    assert {s["status"] for s in mutated["value"]} == {"SomethingNew"}
    clean = _get(sim, "/v1.0/admin/serviceAnnouncement/healthOverviews").json()
    assert "SomethingNew" not in {s["status"] for s in clean["value"]}


def test_mutating_shared_sign_in_parts_does_not_leak(sim: GraphSimulator) -> None:
    def move(body: dict[str, Any]) -> None:
        for item in body["value"]:
            item["location"]["city"] = "Nowhere"
    sim.faults.add(Fault("mutate", path="signIns", func=move))
    signins = _get(sim, "/v1.0/auditLogs/signIns?$top=50").json()["value"]
    assert {i["location"]["city"] for i in signins} == {"Nowhere"}
    assert "Nowhere" not in {i["location"]["city"] for i in
                             _get(sim, "/v1.0/auditLogs/signIns?$top=50").json()["value"]}


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError):
        Fault("explode")
    with pytest.raises(ValueError):
        Fault("status")
