"""The simulator's application permissions: a resource refuses a token without one of the
permissions the contract lists for it (403 Authorization_RequestDenied), signInActivity asks for
AuditLog.Read.All before the licence, and a token keeps the permissions it was issued with."""

from __future__ import annotations

import uuid

import pytest
import requests

from collectors.simulator import SimTenant
from collectors.simulator import permissions as perms


@pytest.fixture
def app(simulator):
    return simulator.add_tenant(SimTenant(str(uuid.uuid4()), str(uuid.uuid4()), "secret",
                                          users=3, signins=5, days=1, premium=False))


def _get(simulator, token: str, path: str) -> requests.Response:
    return requests.get(simulator.base_url + path, headers={"Authorization": f"Bearer {token}"},
                        verify=simulator.ca_bundle, timeout=20, allow_redirects=False)


def test_a_resource_refuses_a_token_without_its_permission(simulator, app):
    app.permissions -= perms.SERVICE_HEALTH
    token = simulator.issue_token(app.tenant_id)
    refused = _get(simulator, token, "/v1.0/admin/serviceAnnouncement/healthOverviews")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert (error["code"], error["message"]) == (
        "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert _get(simulator, token, "/v1.0/users?$top=1").status_code == 200


def test_any_one_of_the_listed_permissions_will_do(simulator, app):
    app.permissions = {"Directory.Read.All"}  # reads users, groups and subscriptions
    token = simulator.issue_token(app.tenant_id)
    assert _get(simulator, token, "/v1.0/users?$top=1").status_code == 200
    assert _get(simulator, token, "/v1.0/directory/subscriptions").status_code == 200
    assert _get(simulator, token, "/v1.0/teams").status_code == 403


def test_sign_in_activity_asks_for_the_permission_before_the_licence(simulator, app):
    path = "/v1.0/users?$select=id,signInActivity"
    app.permissions.discard("AuditLog.Read.All")
    without = _get(simulator, simulator.issue_token(app.tenant_id), path)
    assert without.json()["error"]["code"] == "Authorization_RequestDenied"
    app.permissions.add("AuditLog.Read.All")
    unlicensed = _get(simulator, simulator.issue_token(app.tenant_id), path)
    assert unlicensed.json()["error"]["code"] == (
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant")


def test_a_token_keeps_the_permissions_it_was_issued_with(simulator, app):
    token = simulator.issue_token(app.tenant_id)
    app.permissions -= perms.TEAMS
    assert _get(simulator, token, "/v1.0/teams").status_code == 200
    assert _get(simulator, simulator.issue_token(app.tenant_id), "/v1.0/teams").status_code == 403


def test_each_request_inside_a_batch_is_checked_on_its_own(simulator, app):
    app.permissions -= perms.TEAMS
    token = simulator.issue_token(app.tenant_id)
    answer = requests.post(
        simulator.base_url + "/v1.0/$batch", verify=simulator.ca_bundle, timeout=20,
        headers={"Authorization": f"Bearer {token}"},
        json={"requests": [{"id": "1", "method": "GET", "url": "/teams"},
                           {"id": "2", "method": "GET", "url": "/users?$top=1"}]})
    statuses = {item["id"]: item["status"] for item in answer.json()["responses"]}
    assert statuses == {"1": 403, "2": 200}
