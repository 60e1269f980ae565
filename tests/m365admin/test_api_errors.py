"""Error answers under /api/ are JSON with a `detail`, as the schema says, even when Django
(not DRF) gives them: a URL that matches no route."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/users/0.5/", "/api/v1/alerts/%C2%84/",
                                  "/api/v1/nothing-here"])
def test_an_unknown_api_url_answers_json(client, viewer, path):
    client.force_login(viewer)
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_stays_html(client, viewer):
    client.force_login(viewer)
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
