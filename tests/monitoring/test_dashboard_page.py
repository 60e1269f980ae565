"""The dashboard page: signed-in users with the dashboard permission only."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_users_without_the_permission_are_refused(client, outsider):
    client.force_login(outsider)
    assert client.get("/dashboard/").status_code == 403


def test_viewers_get_the_page_with_its_script_and_translated_labels(client, viewer):
    client.force_login(viewer)
    response = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/plotly.min.js" in page and "js/dashboard.js" in page
    assert "<script>" not in page  # nothing inline: the CSP allows none
    labels = response.context["labels"]
    assert set(labels["components"]) == {"api", "database", "graph", "exchange", "auth", "cache",
                                         "queue"}
    for value, name in labels["components"].items():
        assert f'data-component="{value}"' in page and name in page
    assert labels["components"]["database"] != "Database"  # translated for a Japanese browser


def test_only_get_is_allowed(client, viewer):
    client.force_login(viewer)
    assert client.post("/dashboard/").status_code == 405


def test_the_alerts_panel_offers_actions_only_to_those_who_may_act(client, viewer, operator):
    client.force_login(viewer)
    page = client.get("/dashboard/").content.decode()
    assert 'id="alerts"' in page and 'data-list="/api/v1/alerts/"' in page
    assert 'data-can-act="false"' in page and 'data-action="acknowledge"' not in page
    assert "data-csrf" not in page

    client.force_login(operator)
    page = client.get("/dashboard/").content.decode()
    assert 'data-can-act="true"' in page and 'data-action="acknowledge"' in page
    assert "data-csrf=" in page
