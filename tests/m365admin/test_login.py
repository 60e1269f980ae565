"""Signing in (/accounts/login/) and out (/accounts/logout/, POST only)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

VICTOR = {"username": "victor", "password": "pw-victor-123456"}  # the viewer persona


def test_the_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert "csrfmiddlewaretoken" in html


def test_good_credentials_sign_in_and_go_to_the_dashboard(client, viewer):
    response = client.post("/accounts/login/", VICTOR)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_it_follows_a_safe_next(client, viewer):
    response = client.post("/accounts/login/?next=/api/v1/", {**VICTOR, "next": "/api/v1/"})
    assert response["Location"] == "/api/v1/"


def test_it_ignores_an_offsite_next(client, viewer):
    response = client.post("/accounts/login/", {**VICTOR, "next": "https://evil.example/"})
    assert response["Location"] == "/dashboard/"


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(client, viewer):
    response = client.post("/accounts/login/", {"username": "victor", "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client, viewer):
    client.force_login(viewer)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_logout_by_post_signs_out_and_goes_to_login(client, viewer):
    client.force_login(viewer)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_pages_offer_a_sign_out_form_that_posts(client, viewer):
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert '<form class="logout" action="/accounts/logout/" method="post">' in html
