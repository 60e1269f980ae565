"""/api/v1/sign-ins/: time-bounded filters and cursor pagination, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from m365admin.models import SignIn
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def _page(client, url_or_path, query=None):
    response = client.get(url_or_path, query)
    assert response.status_code == 200, response.content
    return response.json()


def _walk(client, query) -> tuple[list[str], int]:
    """Every graph_id across the pages, in order, and how many pages it took."""
    seen, pages = [], 0
    page = _page(client, "/api/v1/sign-ins/", query)
    while True:
        pages += 1
        seen += [row["graph_id"] for row in page["results"]]
        if not page["next"]:
            return seen, pages
        page = _page(client, page["next"])


@pytest.fixture
def tenant():
    return make_tenant()


def test_it_lists_newest_first_with_a_next_link(client, viewer, tenant):
    make_rows(SignIn, tenant, 5, created=lambda i: NOW - timedelta(minutes=i * 7 % 5))
    client.force_login(viewer)
    page = _page(client, "/api/v1/sign-ins/", {"page_size": 2})
    times = [row["created"] for row in page["results"]]
    assert len(times) == 2 and times == sorted(times, reverse=True)
    assert page["previous"] is None
    assert "cursor=" in page["next"]
    assert "count" not in page  # no COUNT(*) over millions of rows


def test_pages_cover_every_row_once_even_when_times_tie(client, viewer, tenant):
    # 23 rows on 6 distinct instants: the cursor must not skip or repeat rows sharing a time.
    rows = make_rows(SignIn, tenant, 23, created=lambda i: NOW - timedelta(seconds=i // 4))
    client.force_login(viewer)
    seen, pages = _walk(client, {"page_size": 5})
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == {row.graph_id for row in rows}
    expected = [r.graph_id for r in sorted(rows, key=lambda r: (r.created, r.pk), reverse=True)]
    assert seen == expected


def test_a_row_arriving_between_pages_does_not_shift_the_next_page(client, viewer, tenant):
    rows = make_rows(SignIn, tenant, 6, created=lambda i: NOW - timedelta(minutes=i + 1))
    client.force_login(viewer)
    first = _page(client, "/api/v1/sign-ins/", {"page_size": 3})
    make_rows(SignIn, tenant, 1, created=NOW)  # newer than everything: belongs before page 1
    second = _page(client, first["next"])
    seen = [r["graph_id"] for r in first["results"] + second["results"]]
    assert seen == [r.graph_id for r in rows]


def test_page_size_is_capped_at_1000(client, viewer, tenant):
    make_rows(SignIn, tenant, 1001, created=lambda i: NOW - timedelta(seconds=i))
    client.force_login(viewer)
    page = _page(client, "/api/v1/sign-ins/", {"page_size": 5000})
    assert len(page["results"]) == 1000
    assert parse_qs(urlsplit(page["next"]).query)["page_size"] == ["5000"]
    assert len(_page(client, page["next"])["results"]) == 1


def test_the_default_page_is_200(client, viewer, tenant):
    make_rows(SignIn, tenant, 201, created=lambda i: NOW - timedelta(seconds=i))
    client.force_login(viewer)
    assert len(_page(client, "/api/v1/sign-ins/")["results"]) == 200


def test_ordering_cannot_be_changed(client, viewer, tenant):
    make_rows(SignIn, tenant, 3, created=lambda i: NOW - timedelta(minutes=i),
              user_principal_name=lambda i: f"{'cba'[i]}@contoso.com")
    client.force_login(viewer)
    page = _page(client, "/api/v1/sign-ins/", {"ordering": "user_principal_name"})
    assert [r["user_principal_name"] for r in page["results"]] == [
        "c@contoso.com", "b@contoso.com", "a@contoso.com"
    ]


def test_it_filters_by_since_and_until(client, viewer, tenant):
    make_rows(SignIn, tenant, 5, created=lambda i: NOW - timedelta(hours=i),
              graph_id=lambda i: f"h{i}")
    client.force_login(viewer)
    query = {"since": (NOW - timedelta(hours=3)).isoformat(),
             "until": (NOW - timedelta(hours=1)).isoformat()}
    ids = [r["graph_id"] for r in _page(client, "/api/v1/sign-ins/", query)["results"]]
    # since is inclusive, until exclusive.
    assert ids == ["h2", "h3"]


def test_it_filters_failed_and_successful(client, viewer, tenant):
    make_rows(SignIn, tenant, 4, created=lambda i: NOW - timedelta(minutes=i),
              graph_id=lambda i: f"s{i}", error_code=lambda i: [0, 50126, 0, 53003][i])
    client.force_login(viewer)
    failed = _page(client, "/api/v1/sign-ins/", {"failed": "true"})["results"]
    succeeded = _page(client, "/api/v1/sign-ins/", {"failed": "false"})["results"]
    assert [r["graph_id"] for r in failed] == ["s1", "s3"]
    assert all(not r["succeeded"] for r in failed)
    assert [r["graph_id"] for r in succeeded] == ["s0", "s2"]


def test_it_filters_by_user_and_ip(client, viewer, tenant):
    make_rows(SignIn, tenant, 3, created=lambda i: NOW - timedelta(minutes=i),
              graph_id=lambda i: f"u{i}",
              user_principal_name=lambda i: ["adele@contoso.com", "alex@contoso.com"][i % 2],
              ip_address=lambda i: f"203.0.113.{i}")
    client.force_login(viewer)
    by_user = _page(client, "/api/v1/sign-ins/", {"user_principal_name": "adele@contoso.com"})
    assert [r["graph_id"] for r in by_user["results"]] == ["u0", "u2"]
    by_ip = _page(client, "/api/v1/sign-ins/", {"ip_address": "203.0.113.1"})
    assert [r["graph_id"] for r in by_ip["results"]] == ["u1"]


@pytest.mark.parametrize("query, status", [
    ({"since": "yesterday"}, 400),
    ({"until": "2026-13-01T00:00:00Z"}, 400),
    ({"tenant": "not-a-uuid"}, 400),
    ({"ip_address": "999.1.1.1"}, 400),  # not a database error on PostgreSQL's inet
    ({"cursor": "garbage"}, 400),  # a cursor the API did not issue
    ({"cursor": "\u00ea{@\t"}, 400),  # not even ASCII (found by the fuzzer)
])
def test_bad_parameters_are_refused(client, viewer, tenant, query, status):
    client.force_login(viewer)
    assert client.get("/api/v1/sign-ins/", query).status_code == status


@pytest.mark.parametrize("name, value", [
    ("until", "0001-01-01"), ("since", "0001-01-01T00:00:00+09:00"),
    ("since", "9999-12-31T23:59:59-12:00"), ("until", "1899-12-31T23:59:59Z"),
])
def test_dates_out_of_range_are_a_400_that_says_so(client, viewer, tenant, name, value):
    client.force_login(viewer)
    response = client.get("/api/v1/sign-ins/", {name: value})
    assert response.status_code == 400
    assert response.json() == {name: ["Enter a date between 1900-01-01 and 9998-12-31."]}


def test_dates_at_the_edges_of_the_range_are_accepted(client, viewer, tenant):
    client.force_login(viewer)
    query = {"since": "1900-01-01T00:00:00Z", "until": "9998-12-31T23:59:59Z"}
    assert client.get("/api/v1/sign-ins/", query).status_code == 200


def test_a_cursor_the_api_did_not_issue_is_refused_with_what_to_do(client, viewer, tenant):
    client.force_login(viewer)
    response = client.get("/api/v1/sign-ins/", {"cursor": "garbage"})
    assert response.status_code == 400
    assert "next" in response.json()["cursor"][0]
