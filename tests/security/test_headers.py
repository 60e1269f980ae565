"""The security headers every response carries."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_the_security_headers(client, viewer):
    client.force_login(viewer)
    response = client.get("/dashboard/")
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    # Only our own files run: no inline script (so no nonce is even needed) and no eval.
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_every_script_tag_carries_the_nonce_or_a_source(client, viewer):
    client.force_login(viewer)
    for url in ("/dashboard/", "/alerts/", "/security/", "/signins/"):
        html = client.get(url).content.decode()
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head or "application/json" in head, (url, head)


def test_the_api_carries_them_too(client, viewer):
    client.force_login(viewer)
    response = client.get("/api/v1/tenants/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Permissions-Policy" in response
