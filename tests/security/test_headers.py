"""The security headers every response carries, and no-store on private responses."""

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


# Caching: private responses are never stored -----------------------------------------------


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", [
    "/", "/dashboard/", "/signins/", "/signins/export.csv", "/alerts/", "/security/",
    "/users/", "/no-such-page/",
])
def test_signed_in_pages_are_never_stored(client, viewer, url):
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code in (200, 403, 404)
    assert _no_store(response), response.get("Cache-Control")


@pytest.mark.parametrize("url", ["/api/v1/tenants/", "/api/v1/metrics/monitoring"])
def test_api_responses_are_never_stored(client, viewer, url):
    client.force_login(viewer)
    assert _no_store(client.get(url))


def test_api_responses_to_a_token_are_never_stored_nor_the_token_itself(client, viewer):
    issued = client.post("/api/v1/auth/token",
                         {"username": "victor", "password": "pw-victor-123456"},
                         content_type="application/json")
    assert issued.status_code == 200
    assert _no_store(issued)
    response = client.get("/api/v1/tenants/",
                          HTTP_AUTHORIZATION=f"Bearer {issued.json()['access']}")
    assert response.status_code == 200
    assert _no_store(response)


def test_anonymous_api_refusals_are_never_stored_either(client):
    assert _no_store(client.get("/api/v1/tenants/"))


def test_the_sign_in_page_keeps_its_own_caching(client):
    # Django's login view is never_cache already; nothing is added or taken away.
    response = client.get("/accounts/login/")
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_anonymous_pages_get_no_cache_control_added(client):
    # The way to the sign-in form holds nothing private.
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "Cache-Control" not in response


def test_static_files_keep_their_caching_for_a_signed_in_user(client, viewer, settings):
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True
    client.force_login(viewer)
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert not _no_store(response)
    assert "max-age" in response["Cache-Control"]
