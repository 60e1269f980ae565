"""The API's filter backend: a request that names no filter gets every row without a filter
set being built; one that names a filter is filtered (and refused when the value is bad)."""

from __future__ import annotations

import pytest
from django_filters import FilterSet

from m365admin.models import DirectoryUser
from tests.factories import make_rows, make_tenant

URL = "/api/v1/users/"


@pytest.fixture
def users(db):
    ours, theirs = make_tenant(), make_tenant()
    make_rows(DirectoryUser, ours, 2, account_enabled=True, department="Sales")
    make_rows(DirectoryUser, theirs, 3, account_enabled=False, department="Legal")
    return ours


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["tenant"] for row in response.json()["results"])


def test_a_request_naming_no_filter_gets_every_row_and_builds_no_filter_set(
    client, viewer, users, monkeypatch
):
    client.force_login(viewer)
    built = []
    monkeypatch.setattr(FilterSet, "__init__",
                        lambda self, *a, **kw: built.append(self) or None)
    assert len(_codes(client.get(URL, {"limit": 10, "offset": 0, "unknown": "x"}))) == 5
    assert built == []


def test_a_filter_filters(client, viewer, users):
    client.force_login(viewer)
    assert _codes(client.get(URL, {"tenant": str(users.code)})) == [str(users.code)] * 2
    assert len(_codes(client.get(URL, {"account_enabled": "false"}))) == 3
    assert len(_codes(client.get(URL, {"department": "Sales", "limit": 1}))) == 1


def test_a_bad_filter_value_is_refused(client, viewer, users):
    client.force_login(viewer)
    response = client.get(URL, {"tenant": "not-a-uuid"})
    assert response.status_code == 400
    assert "tenant" in response.json()
