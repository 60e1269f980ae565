"""Identity platform: discovery, client-credentials tokens, error shapes, real msal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msal
import pytest
import requests

from collectors.simulator import Fault, GraphSimulator, SimTenant
from tests.samples import SAMPLES

TENANT = "6d1a9e52-0a1b-4c3d-8e9f-000000000001"
OTHER = "6d1a9e52-0a1b-4c3d-8e9f-000000000002"
SCOPE = "https://graph.microsoft.com/.default"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sim = GraphSimulator(state_dir=tmp_path_factory.mktemp("sim"))
    anchor = datetime(2025, 3, 1, tzinfo=UTC)
    sim.add_tenant(SimTenant(TENANT, "client-a", "secret-a", users=10, signins=100, anchor=anchor))
    sim.add_tenant(SimTenant(OTHER, "client-b", "secret-b", users=10, signins=100, seed=2,
                             anchor=anchor, domain="other.onmicrosoft.com"))
    sim.start()
    yield sim
    sim.stop()


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def _token(sim: GraphSimulator, tenant: str = TENANT, **form: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "client_id": "client-a",
            "client_secret": "secret-a", "scope": SCOPE, **form}
    return requests.post(f"{sim.base_url}/{tenant}/oauth2/v2.0/token", data=data,
                         verify=sim.ca_bundle, timeout=10)


class _MsalHttp:
    """msal's http_client contract over a requests.Session trusting the simulator's cert."""

    def __init__(self, ca_bundle: str) -> None:
        self.session = requests.Session()
        self.ca_bundle = ca_bundle

    def get(self, url: str, params: Any = None, headers: Any = None, **kw: Any) -> Any:
        return self.session.get(url, params=params, headers=headers, verify=self.ca_bundle,
                                timeout=10)

    def post(self, url: str, params: Any = None, data: Any = None, headers: Any = None,
             **kw: Any) -> Any:
        return self.session.post(url, params=params, data=data, headers=headers,
                                 verify=self.ca_bundle, timeout=10)


def _app(sim: GraphSimulator, secret: str = "secret-a") -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        "client-a", client_credential=secret, authority=sim.authority_url(TENANT),
        instance_discovery=False, http_client=_MsalHttp(sim.ca_bundle))


def test_it_serves_openid_configuration_even_with_a_double_slash(sim: GraphSimulator) -> None:
    for path in (f"/{TENANT}/v2.0/.well-known/openid-configuration",
                 f"/{TENANT}//v2.0/.well-known/openid-configuration"):
        response = requests.get(sim.base_url + path, verify=sim.ca_bundle, timeout=10)
        assert response.status_code == 200
        body = response.json()
        assert body["token_endpoint"] == f"{sim.base_url}/{TENANT}/oauth2/v2.0/token"
        assert set(_sample("openid_configuration.json")) - set(body) <= {
            "claims_supported", "kerberos_endpoint", "rbac_url"}


def test_it_issues_tokens_shaped_like_the_sample(sim: GraphSimulator) -> None:
    response = _token(sim)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(_sample("token_response.json"))
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"


def test_it_finds_the_tenant_by_domain(sim: GraphSimulator) -> None:
    response = _token(sim, tenant="other.onmicrosoft.com", client_id="client-b",
                      client_secret="secret-b")
    assert response.status_code == 200


@pytest.mark.parametrize(("form", "tenant", "status", "error", "code"), [
    ({"scope": "https://foo.microsoft.com/.default"}, TENANT, 400, "invalid_scope", 70011),
    ({"client_secret": "wrong"}, TENANT, 401, "invalid_client", 7000215),
    ({"client_id": "nobody"}, TENANT, 401, "invalid_client", 700016),
    ({"client_id": "client-b", "client_secret": "secret-b"}, TENANT, 401, "invalid_client", 700016),
    ({}, "00000000-0000-0000-0000-00000000dead", 400, "invalid_request", 90002),
    ({"grant_type": "password"}, TENANT, 400, "unsupported_grant_type", 70003),
])
def test_it_rejects_bad_token_requests(sim: GraphSimulator, form: dict[str, str], tenant: str,
                                        status: int, error: str, code: int) -> None:
    response = _token(sim, tenant=tenant, **form)
    assert response.status_code == status
    body = response.json()
    assert set(_sample("token_error_response.json")) <= set(body)
    assert body["error"] == error and body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}:")


def test_a_token_reads_graph_and_only_its_own_tenant(sim: GraphSimulator) -> None:
    token = _token(sim).json()["access_token"]
    users = requests.get(f"{sim.base_url}/v1.0/users", headers={"Authorization": f"Bearer {token}"},
                         verify=sim.ca_bundle, timeout=10)
    assert users.status_code == 200
    ours = {u["id"] for u in sim.tenant(TENANT).users.values()}
    assert {u["id"] for u in users.json()["value"]} <= ours
    theirs = {u["id"] for u in sim.tenant(OTHER).users.values()}
    assert not ours & theirs


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_graph_rejects_missing_or_unknown_tokens(sim: GraphSimulator, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{sim.base_url}/v1.0/users", headers=headers, verify=sim.ca_bundle,
                            timeout=10)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert response.headers["request-id"] == error["innerError"]["request-id"]


def test_expired_tokens_are_rejected(sim: GraphSimulator) -> None:
    token = sim.issue_token(TENANT, lifetime=-1)
    response = requests.get(f"{sim.base_url}/v1.0/users",
                            headers={"Authorization": f"Bearer {token}"},
                            verify=sim.ca_bundle, timeout=10)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_msal_acquires_and_caches_a_token(sim: GraphSimulator) -> None:
    app = _app(sim)
    first = app.acquire_token_for_client(scopes=[SCOPE])
    assert first["token_source"] == "identity_provider", first
    second = app.acquire_token_for_client(scopes=[SCOPE])
    assert second["token_source"] == "cache"
    response = requests.get(f"{sim.base_url}/v1.0/organization", verify=sim.ca_bundle, timeout=10,
                            headers={"Authorization": f"Bearer {second['access_token']}"})
    assert response.json()["value"][0]["id"] == TENANT


def test_msal_reports_a_wrong_secret(sim: GraphSimulator) -> None:
    result = _app(sim, secret="wrong").acquire_token_for_client(scopes=[SCOPE])
    assert result["error"] == "invalid_client"
    assert "AADSTS7000215" in result["error_description"]


def test_a_token_endpoint_fault_reaches_msal(sim: GraphSimulator) -> None:
    sim.faults.add(Fault("status", path=r"/oauth2/v2\.0/token$", status=503, retry_after="1"))
    try:
        with pytest.raises(Exception):  # noqa: B017 — msal raises on 5xx (MsalServiceError in 1.39)
            _app(sim).acquire_token_for_client(scopes=[SCOPE])
        assert sim.requests[-1].status == 503
    finally:
        sim.faults.clear()


def test_it_logs_requests_without_secrets(sim: GraphSimulator) -> None:
    token = _token(sim).json()["access_token"]
    requests.get(f"{sim.base_url}/v1.0/users?$top=1", verify=sim.ca_bundle, timeout=10,
                 headers={"Authorization": f"Bearer {token}", "client-request-id": "abc"})
    record = sim.requests[-1]
    assert (record.method, record.path, record.status) == ("GET", "/v1.0/users?$top=1", 200)
    assert record.headers["authorization"] == "Bearer <redacted>"
    assert record.headers["client-request-id"] == "abc"
    assert record.tenant_id == TENANT


def test_it_reuses_a_valid_certificate(sim: GraphSimulator) -> None:
    again = GraphSimulator(state_dir=Path(sim.ca_bundle).parent)
    assert Path(again.ca_bundle).read_bytes() == Path(sim.ca_bundle).read_bytes()


def test_start_raises_when_the_port_is_taken(sim: GraphSimulator) -> None:
    clash = GraphSimulator(port=sim.port, state_dir=Path(sim.ca_bundle).parent)
    with pytest.raises(OSError):
        clash.start()
