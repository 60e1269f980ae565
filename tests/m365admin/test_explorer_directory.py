"""The explorers of small tables: /users/, /mailboxes/, /teams/, /onedrive/.

Search, whitelisted sorting, tenant and model filters, offset pages; bad input gives a message
and the unfiltered list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from m365admin.choices import UserType
from m365admin.models import DirectoryUser, Mailbox, OneDriveAccount, Team
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Page:
    path: str
    model: type[models.Model]
    # The field `q` searches that the tests vary, and the name shown on each row.
    searched: str
    # A filter of the model's own, the field it reads, the rows' values, and which match.
    own_filter: tuple[str, str, list[Any], str, set[int]]
    # A sort key, the field behind it, and values in the order they sort ascending
    # (None sorts last both ways).
    sort: tuple[str, str, list[Any]]
    empty: str

    def __str__(self) -> str:
        return self.path.strip("/")


PAGES = [
    Page("/users/", DirectoryUser, "display_name",
         ("is_licensed", "is_licensed", [True, False, True], "true", {0, 2}),
         ("last_sign_in", "last_seen", [NOW - timedelta(days=9), NOW, None]),
         "No users match these filters."),
    Page("/mailboxes/", Mailbox, "display_name",
         ("has_archive", "has_archive", [False, True, False], "true", {1}),
         ("storage", "storage_used_bytes", [10, 2_000, 30_000]),
         "No mailboxes match these filters."),
    Page("/teams/", Team, "display_name",
         ("visibility", "visibility", ["public", "private", "private"], "private", {1, 2}),
         ("created", "created_in_graph", [NOW - timedelta(days=400), NOW, None]),
         "No teams match these filters."),
    Page("/onedrive/", OneDriveAccount, "owner_display_name",
         ("is_deleted", "is_deleted", [False, True, True], "false", {0}),
         ("last_activity", "last_activity_date", [date(2026, 1, 5), date(2026, 3, 1), None]),
         "No OneDrive accounts match these filters."),
]


def _names(response, page: Page) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [getattr(row, page.searched) for row in response.context["page_obj"]]


def _problems(response) -> list[str]:
    return [str(problem) for problem in response.context["problems"]]


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


each_page = pytest.mark.parametrize("page", PAGES, ids=str)


# Who may see them ---------------------------------------------------------------------------


@each_page
def test_anonymous_is_sent_to_login(client, page):
    response = client.get(page.path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={page.path}"


@each_page
def test_a_user_without_the_view_permission_gets_403(client, outsider, page):
    client.force_login(outsider)
    assert client.get(page.path).status_code == 403


# Search, filters, sorting -------------------------------------------------------------------


@each_page
def test_q_searches_names_ignoring_case(signed_in, page):
    make_rows(page.model, make_tenant(), 3,
              **{page.searched: lambda i: ["Adele Vance", "Alex Wilber", "Megan Bowen"][i]})
    assert _names(signed_in.get(page.path, {"q": "WIL"}), page) == ["Alex Wilber"]


@each_page
def test_it_filters_by_tenant(signed_in, page):
    mine = make_tenant()
    make_rows(page.model, mine, 2, **{page.searched: lambda i: f"mine {i}"})
    make_rows(page.model, make_tenant(), 3, **{page.searched: "theirs"})
    response = signed_in.get(page.path, {"tenant": str(mine.code)})
    assert sorted(_names(response, page)) == ["mine 0", "mine 1"]


@each_page
def test_it_filters_by_the_models_own_fields(signed_in, page):
    name, field, values, wanted, expected = page.own_filter
    make_rows(page.model, make_tenant(), len(values),
              **{field: lambda i: values[i], page.searched: lambda i: f"row {i}"})
    response = signed_in.get(page.path, {name: wanted})
    assert sorted(_names(response, page)) == [f"row {i}" for i in sorted(expected)]


@each_page
def test_sorting_sorts_both_ways_with_empty_values_last(signed_in, page):
    key, field, ascending = page.sort
    order = [2, 0, 1] if len(ascending) == 3 else list(range(len(ascending)))
    make_rows(page.model, make_tenant(), len(ascending),
              **{field: lambda i: ascending[order[i]], page.searched: lambda i: f"v{order[i]}"})
    values = [f"v{i}" for i in range(len(ascending))]
    assert _names(signed_in.get(page.path, {"sort": key}), page) == values
    expected_descending = [*values[-2::-1], values[-1]] if ascending[-1] is None else values[::-1]
    response = signed_in.get(page.path, {"sort": f"-{key}"})
    assert _names(response, page) == expected_descending
    html = response.content.decode()
    assert 'aria-sort="descending"' in html and f"?sort={key}" in html  # a click flips it back


@each_page
def test_an_unknown_sort_key_gives_a_message_and_the_default_order(signed_in, page):
    make_rows(page.model, make_tenant(), 3, **{page.searched: lambda i: f"n{i}"})
    default = signed_in.get(page.path)
    for bad in ("password", "--name", "tenant__client_secret_encrypted"):
        response = signed_in.get(page.path, {"sort": bad})
        assert _problems(response) == ["Unknown sort order; showing the default order."]
        assert _names(response, page) == _names(default, page)


def test_users_sort_by_name_upn_department_and_tenant(signed_in):
    a, b = make_tenant(name="A Tenant"), make_tenant(name="B Tenant")
    make_rows(DirectoryUser, b, 1, display_name="Zed", user_principal_name="a@b.com",
              department="Sales")
    make_rows(DirectoryUser, a, 1, display_name="Amy", user_principal_name="z@a.com",
              department="Retail")
    page = PAGES[0]
    assert _names(signed_in.get("/users/", {"sort": "name"}), page) == ["Amy", "Zed"]
    assert _names(signed_in.get("/users/", {"sort": "upn"}), page) == ["Zed", "Amy"]
    assert _names(signed_in.get("/users/", {"sort": "department"}), page) == ["Amy", "Zed"]
    assert _names(signed_in.get("/users/", {"sort": "-tenant"}), page) == ["Zed", "Amy"]


def test_users_filter_by_type_and_department_together(signed_in):
    make_rows(DirectoryUser, make_tenant(), 4, display_name=lambda i: f"u{i}",
              user_type=lambda i: [UserType.GUEST, UserType.MEMBER][i % 2],
              department=lambda i: ["Sales", "Sales", "Retail", "Retail"][i])
    response = signed_in.get("/users/", {"user_type": "Guest", "department": "Retail"})
    assert _names(response, PAGES[0]) == ["u2"]


# Pages --------------------------------------------------------------------------------------


def test_pages_of_50_cover_every_row_once(signed_in):
    make_rows(Team, make_tenant(), 120, display_name=lambda i: f"Team {i:03}")
    page = PAGES[2]
    seen = []
    for number in (1, 2, 3):
        response = signed_in.get("/teams/", {"page": number, "sort": "-name"})
        seen += _names(response, page)
    assert seen == [f"Team {i:03}" for i in reversed(range(120))]
    html = signed_in.get("/teams/", {"page": 2, "sort": "-name"}).content.decode()
    assert "Page 2 of 3" in html
    assert 'href="?page=1&amp;sort=-name"' in html and 'href="?page=3&amp;sort=-name"' in html


def test_equal_sort_values_do_not_move_rows_between_pages(signed_in):
    make_rows(Mailbox, make_tenant(), 70, storage_used_bytes=5, display_name=lambda i: f"m{i}")
    first = _names(signed_in.get("/mailboxes/", {"sort": "storage"}), PAGES[1])
    second = _names(signed_in.get("/mailboxes/", {"sort": "storage", "page": 2}), PAGES[1])
    assert len(set(first + second)) == 70


@pytest.mark.parametrize("number", ["abc", "0", "99"])
def test_a_page_that_does_not_exist_gives_a_message_and_the_first_page(signed_in, number):
    make_rows(Team, make_tenant(), 3)
    response = signed_in.get("/teams/", {"page": number})
    assert _problems(response) == ["That page does not exist; showing the first page."]
    assert response.context["page_obj"].number == 1


# Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query, message", [
    ({"tenant": "not-a-uuid"}, "Tenant: Enter a valid UUID."),
    ({"user_type": "Alien"},
     "User type: Select a valid choice. Alien is not one of the available choices."),
], ids=["bad tenant", "unknown user type"])
def test_bad_filters_give_a_message_and_the_unfiltered_list(signed_in, query, message):
    make_rows(DirectoryUser, make_tenant(), 2, display_name=lambda i: f"u{i}",
              is_licensed=lambda i: i == 0)
    response = signed_in.get("/users/", {"is_licensed": "true", **query})
    assert _problems(response) == [message]
    assert _names(response, PAGES[0]) == ["u0", "u1"]  # is_licensed is not applied either
    html = response.content.decode()
    assert 'role="alert"' in html and "No filter is applied" in html
    assert 'aria-invalid="true"' in html


@each_page
def test_an_empty_result_says_so(signed_in, page):
    response = signed_in.get(page.path, {"q": "nobody"})
    assert page.empty in response.content.decode()


@each_page
def test_hostile_names_are_shown_as_text(signed_in, page):
    make_rows(page.model, make_tenant(name=HOSTILE), 1, **{page.searched: HOSTILE})
    html = signed_in.get(page.path).content.decode()
    assert HOSTILE not in html
    # The name and the tenant in their row (each in the cell and its title), and the tenant
    # in the tenant menu.
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5


@each_page
def test_the_query_count_does_not_grow_with_rows(signed_in, page, django_assert_max_num_queries):
    counts = []
    for count in (2, 80):
        make_rows(page.model, make_tenant(), count)
        # +1 since two-factor sign-in: whether the session owes a second factor.
        with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
            assert signed_in.get(page.path).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_tenants_page_links_to_each_tenants_explorers(signed_in):
    tenant = make_tenant()
    html = signed_in.get("/").content.decode()
    for path in ("/signins/", "/users/", "/mailboxes/", "/teams/", "/onedrive/"):
        assert f'href="{path}?tenant={tenant.code}"' in html
    assert f'href="/signins/?tenant={tenant.code}&amp;status=failed"' in html


# Near quota: what the dashboard's figures link to ----------------------------------------------


@pytest.mark.parametrize("model, used, limit", [
    (Mailbox, "storage_used_bytes", "prohibit_send_quota_bytes"),
    (OneDriveAccount, "storage_used_bytes", "storage_allocated_bytes"),
], ids=["mailboxes", "onedrive"])
def test_near_quota_lists_what_the_dashboard_counts(signed_in, settings, model, used, limit):
    settings.QUOTA_WARNING_PERCENT = 90
    tenant = make_tenant()
    make_rows(model, tenant, 3, **{used: lambda i: [95, 50, 90][i], limit: 100})
    path = "/mailboxes/" if model is Mailbox else "/onedrive/"
    near = signed_in.get(path, {"near_quota": "true"}).context["page_obj"]
    assert sorted(getattr(row, used) for row in near) == [90, 95]
    assert model.objects.filter(model.near_quota()).count() == 2
    rest = signed_in.get(path, {"near_quota": "false"}).context["page_obj"]
    assert [getattr(row, used) for row in rest] == [50]
