"""/api/v1/tenants/: looked up by public code, and the client secret never leaves the server."""

from __future__ import annotations

import pytest

from tests.factories import make_tenant

pytestmark = pytest.mark.django_db

SECRET = "Zq8~plaintext-client-secret~Xy"


def test_it_never_shows_the_client_secret(client, viewer):
    tenant = make_tenant(secret=SECRET)
    client.force_login(viewer)
    for url in ("/api/v1/tenants/", f"/api/v1/tenants/{tenant.code}/"):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert SECRET not in body
        assert tenant.client_secret_encrypted not in body
        assert "secret" not in body


def test_it_looks_tenants_up_by_code_not_by_database_id(client, viewer):
    tenant = make_tenant()
    client.force_login(viewer)
    assert client.get(f"/api/v1/tenants/{tenant.code}/").json()["code"] == str(tenant.code)
    assert client.get(f"/api/v1/tenants/{tenant.pk}/").status_code == 404


def test_it_filters_by_enabled(client, viewer):
    on, off = make_tenant(name="On"), make_tenant(name="Off", enabled=False)
    client.force_login(viewer)

    def names(query):
        return [t["name"] for t in client.get("/api/v1/tenants/", query).json()["results"]]

    assert names({"enabled": "false"}) == [off.name]
    assert names({"enabled": "true"}) == [on.name]
    assert names({}) == ["Off", "On"]  # ordered by name
