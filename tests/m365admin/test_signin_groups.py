"""The sign-in explorer's group-by (/signins/?group=…): counts, shares and links that agree
with the list, within the same filters and time window, in one query."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from m365admin import rollups, signin_groups
from m365admin.lib import versioned_cache
from m365admin.models import SignIn, SignInHourly
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)
LIST = "/signins/"


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def contoso():
    tenant = make_tenant(name="Contoso")
    # Six recent sign-ins: three wrong passwords, two blocked by Conditional Access, one success;
    # and one wrong password two days ago, outside the default window.
    codes = [50126, 50126, 50126, 53003, 53003, 0]
    make_rows(
        SignIn, tenant, 6,
        created=lambda i: NOW - timedelta(minutes=i + 1),
        error_code=lambda i: codes[i],
        country=lambda i: ["JP", "JP", "US", "", "JP", "DE"][i],
        user_principal_name=lambda i: ["adele@contoso.com", "alex@contoso.com"][i % 2],
        app_id=lambda i: f"app-{i % 3}",
        app_display_name=lambda i: f"App {i % 3}",
        ip_address=lambda i: f"203.0.113.{i % 2}",
        client_app_used="Browser",
    )
    make_rows(SignIn, tenant, 1, created=NOW - timedelta(days=2), error_code=50126)
    return tenant


def _grouped(response) -> list[tuple[str, int, str | None]]:
    assert response.status_code == 200, response.content[:500]
    return [(row.name, row.count, url) for row, url in response.context["grouped"]["groups"]]


def test_it_counts_by_reason_largest_first_with_descriptions(signed_in, contoso):
    grouped = signed_in.get(LIST, {"group": "reason"}).context["grouped"]
    assert [(row.code, row.count) for row, _url in grouped["groups"]] == [
        (50126, 3), (53003, 2), (0, 1)]
    assert grouped["total"] == 6 and grouped["other"] == 0
    assert grouped["groups"][0][0].name == "Wrong user name or password"
    assert grouped["groups"][0][0].share == pytest.approx(0.5)


def test_each_group_links_to_a_list_of_exactly_its_rows(signed_in, contoso):
    for key in signin_groups.GROUPINGS:
        for name, count, url in _grouped(signed_in.get(LIST, {"group": key})):
            if url is None:
                continue
            listed = signed_in.get(LIST + url)
            assert not listed.context["problems"], (key, url)
            assert len(listed.context["signins"]) == count, (key, name, url)


def test_a_group_without_a_value_is_named_unknown_and_not_linked(signed_in, contoso):
    groups = _grouped(signed_in.get(LIST, {"group": "country"}))
    assert ("JP", 3, "?country=JP") in groups
    assert ("unknown", 1, None) in groups


def test_groups_keep_the_page_filters_and_replace_a_filter_they_set(signed_in, contoso):
    groups = _grouped(signed_in.get(LIST, {"group": "reason", "status": "failed",
                                           "error_code": "53003", "cursor": "x"}))
    assert [(count) for _name, count, _url in groups] == [2]
    assert parse_qs(groups[0][2][1:]) == {"status": ["failed"], "error_code": ["53003"]}


def test_the_window_bounds_the_groups_as_it_bounds_the_list(signed_in, contoso):
    week = {"since": (NOW - timedelta(days=7)).isoformat()}
    assert _grouped(signed_in.get(LIST, {"group": "reason", **week}))[0][1] == 4
    assert _grouped(signed_in.get(LIST, {"group": "reason"}))[0][1] == 3


def test_past_the_top_groups_the_rest_is_other(signed_in, contoso, monkeypatch):
    monkeypatch.setattr(signin_groups, "TOP", 1)
    grouped = signed_in.get(LIST, {"group": "reason"}).context["grouped"]
    assert len(grouped["groups"]) == 1 and grouped["other"] == 3 and grouped["total"] == 6


def test_groups_are_one_time_bounded_query(signed_in, contoso):
    with CaptureQueriesContext(connection) as queries:
        signed_in.get(LIST, {"group": "user"})
    grouping = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouping) == 1
    assert '"created" >=' in grouping[0] and '"created" <' in grouping[0]


def test_the_page_shows_counts_shares_and_a_bar(signed_in, contoso):
    html = signed_in.get(LIST, {"group": "reason"}).content.decode()
    assert "Wrong user name or password" in html
    assert '<meter min="0" max="100" value="50.00">' in html
    assert "50.0%" in html


def test_an_unknown_grouping_is_reported_and_the_list_shown(signed_in, contoso):
    response = signed_in.get(LIST, {"group": "password"})
    assert "Unknown grouping; showing the list." in [str(p) for p in response.context["problems"]]
    assert len(response.context["signins"]) == 6


def test_bad_filters_group_the_unfiltered_default_window(signed_in, contoso):
    response = signed_in.get(LIST, {"group": "reason", "ip_address": "not-an-ip"})
    assert response.context["filters_ignored"]
    assert response.context["grouped"]["total"] == 6


def test_an_outsider_cannot_group(client, outsider, contoso):
    client.force_login(outsider)
    assert client.get(LIST, {"group": "reason"}).status_code == 403


# Whole hours from the rollups ---------------------------------------------------------------


def _every_ten_minutes(tenant, hours=30):
    """Sign-ins over the last `hours` (past both ends of the default window), rolled up."""
    make_rows(
        SignIn, tenant, hours * 6,
        created=lambda i: NOW - timedelta(minutes=10 * i + 3),
        error_code=lambda i: [0, 50126, 53003, 0][i % 4],
        country=lambda i: ["JP", "US", "", "JP", "DE"][i % 5],
        app_id=lambda i: f"app-{i % 3}",
        app_display_name=lambda i: f"App {i % 3}",
        client_app_used=lambda i: ["Browser", "IMAP"][i % 2],
    )
    rollups.refresh_signin_hours(tenant, NOW - timedelta(hours=hours + 1), NOW)


def _counts(response) -> tuple[list[tuple[str, int]], int]:
    grouped = response.context["grouped"]
    return [(row.name, row.count) for row, _url in grouped["groups"]], grouped["total"]


def _read_rollups(queries) -> bool:
    """Whether the page read the rollups' counts (not only their version)."""
    return any('"m365admin_signinhourly"."groups"' in q["sql"]
               or '"m365admin_signinhourly"."countries"' in q["sql"]
               for q in queries.captured_queries)


def _forget_cached_counts(monkeypatch):
    """The next page counts afresh, as after a change the version sees."""
    monkeypatch.setattr(versioned_cache, "NAMESPACE", f"aggregate:{uuid.uuid4().hex}:")


@pytest.mark.parametrize("key", sorted(rollups.ROLLED_UP))
def test_whole_hours_come_from_the_rollups_and_agree_with_the_sign_ins(signed_in, key):
    _every_ten_minutes(make_tenant())
    with CaptureQueriesContext(connection) as queries:
        from_rollups = _counts(signed_in.get(LIST, {"group": key}))
    assert _read_rollups(queries)
    SignInHourly.objects.all().delete()  # now the sign-ins alone answer
    assert from_rollups == _counts(signed_in.get(LIST, {"group": key}))
    assert from_rollups[1] == 144  # 24 hours of one every ten minutes


def test_a_tenants_groups_read_only_its_rollups(signed_in):
    ours, theirs = make_tenant(), make_tenant()
    _every_ten_minutes(ours)
    _every_ten_minutes(theirs)
    assert _counts(signed_in.get(LIST, {"group": "reason", "tenant": ours.code}))[1] == 144
    assert _counts(signed_in.get(LIST, {"group": "reason"}))[1] == 288


def test_other_filters_count_the_sign_ins_themselves(signed_in):
    _every_ten_minutes(make_tenant())
    SignInHourly.objects.update(groups={"reason": [[0, 1000]]}, countries={"JP": 1000})
    with CaptureQueriesContext(connection) as queries:
        failed = _counts(signed_in.get(LIST, {"group": "reason", "status": "failed"}))
    assert not _read_rollups(queries)
    assert failed[1] == 72 and 1000 not in dict(failed[0]).values()


def test_rollups_from_before_a_grouping_was_kept_leave_it_to_the_sign_ins(signed_in,
                                                                          monkeypatch):
    _every_ten_minutes(make_tenant())
    expected = _counts(signed_in.get(LIST, {"group": "app"}))
    SignInHourly.objects.update(groups={})
    _forget_cached_counts(monkeypatch)  # such rollups were there before any page was asked
    assert _counts(signed_in.get(LIST, {"group": "app"})) == expected


# Asked again -------------------------------------------------------------------------------


def _grouping_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]


@pytest.mark.parametrize("key", ["ip", "reason"])
def test_asked_again_unchanged_the_counts_come_from_the_cache(signed_in, key):
    _every_ten_minutes(make_tenant())
    first = _counts(signed_in.get(LIST, {"group": key}))
    with CaptureQueriesContext(connection) as queries:
        assert _counts(signed_in.get(LIST, {"group": key})) == first
    assert not _grouping_queries(queries) and not _read_rollups(queries)


@pytest.mark.parametrize("key", ["ip", "reason"])
def test_a_sync_that_stores_sign_ins_is_counted_at_once(signed_in, key):
    """What the sign-in sync does: store the page, then rebuild the hours it touched."""
    tenant = make_tenant()
    _every_ten_minutes(tenant)
    before = _counts(signed_in.get(LIST, {"group": key}))[1]
    make_rows(SignIn, tenant, 3, created=lambda i: NOW - timedelta(hours=5, minutes=i),
              error_code=50126, ip_address="198.51.100.77")
    rollups.refresh_signin_hours(tenant, NOW - timedelta(hours=6), NOW - timedelta(hours=4))
    groups, total = _counts(signed_in.get(LIST, {"group": key}))
    assert total == before + 3
    if key == "ip":
        assert ("198.51.100.77", 3) in groups


def test_a_sync_that_stores_sign_ins_again_is_counted_at_once(signed_in):
    """A re-synced overlap stores the same sign-ins again (their ids stay) with what changed,
    then rebuilds those hours: the counts follow."""
    tenant = make_tenant()
    _every_ten_minutes(tenant)
    before = dict(_counts(signed_in.get(LIST, {"group": "country"}))[0])
    SignIn.objects.filter(tenant=tenant, country="DE").update(country="FR")
    rollups.refresh_signin_hours(tenant, NOW - timedelta(hours=31), NOW)
    after = dict(_counts(signed_in.get(LIST, {"group": "country"}))[0])
    assert "DE" not in after and after["FR"] == before["DE"]


def test_a_removed_tenant_leaves_the_counts_at_once(signed_in):
    ours, theirs = make_tenant(), make_tenant()
    _every_ten_minutes(ours)
    _every_ten_minutes(theirs)
    assert _counts(signed_in.get(LIST, {"group": "user"}))[1] == 288
    theirs.delete()
    assert _counts(signed_in.get(LIST, {"group": "user"}))[1] == 144


def test_the_counts_are_in_the_readers_language(signed_in, contoso):
    english = _counts(signed_in.get(LIST, {"group": "reason"}))[0]
    japanese = _counts(signed_in.get(LIST, {"group": "reason"}, HTTP_ACCEPT_LANGUAGE="ja"))[0]
    assert [n for _name, n in english] == [n for _name, n in japanese]
    assert english[0][0] == "Wrong user name or password" and japanese[0][0] != english[0][0]


def test_a_window_that_ends_now_ends_at_the_next_whole_minute(signed_in, contoso):
    """So the same search within the minute is the same window; a sign-in of this very second
    is in it."""
    make_rows(SignIn, contoso, 1, created=datetime.now(UTC))
    response = signed_in.get(LIST)
    end = response.context["end"]
    assert (end.second, end.microsecond) == (0, 0)
    assert timedelta(0) < end - datetime.now(UTC) <= timedelta(minutes=1)
    assert response.context["end"] - response.context["start"] == timedelta(hours=24)
    assert len(response.context["signins"]) == 7
