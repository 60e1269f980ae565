"""The sign-in explorer (/signins/) and its CSV export: filters, time window, keyset pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncRequestFactory
from django.test.utils import CaptureQueriesContext

from m365admin import views
from m365admin.choices import RiskLevel, RiskState
from m365admin.models import SignIn
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)
LIST, EXPORT = "/signins/", "/signins/export.csv"
HOSTILE = "<script>alert(1)</script>"


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [signin.graph_id for signin in response.context["signins"]]


def _problems(response) -> list[str]:
    return [str(problem) for problem in response.context["problems"]]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sign-ins-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def contoso():
    return make_tenant(name="Contoso")


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def varied(contoso):
    """Four recent sign-ins of Contoso that differ in every field the explorer filters by,
    and one of another tenant."""
    make_rows(SignIn, make_tenant(name="Fabrikam"), 1, graph_id="other-tenant",
              created=NOW - timedelta(minutes=30))
    return make_rows(
        SignIn, contoso, 4,
        graph_id=lambda i: f"s{i}",
        created=lambda i: NOW - timedelta(minutes=i + 1),
        user_principal_name=lambda i: ["adele@contoso.com", "alex@contoso.com"][i % 2],
        user_graph_id=lambda i: f"user-{i % 2}",
        error_code=lambda i: [0, 50126, 0, 53003][i],
        country=lambda i: ["JP", "US", "JP", "DE"][i],
        app_display_name=lambda i: ["Office 365 Exchange Online", "Azure Portal"][i % 2],
        app_id=lambda i: f"app-{i % 2}",
        client_app_used=lambda i: ["Browser", "IMAP", "Browser", "Exchange ActiveSync"][i],
        ip_address=lambda i: f"203.0.113.{i}",
        risk_level_during_sign_in=lambda i: [RiskLevel.NONE, RiskLevel.HIGH, RiskLevel.LOW,
                                             RiskLevel.HIGH][i],
        risk_state=lambda i: [RiskState.NONE, RiskState.AT_RISK, RiskState.NONE,
                              RiskState.DISMISSED][i],
    )


# Who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, EXPORT])
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", [LIST, EXPORT])
def test_a_user_without_view_signin_gets_403(client, outsider, path):
    client.force_login(outsider)
    assert client.get(path).status_code == 403


def test_it_rejects_post(signed_in):
    assert signed_in.post(LIST).status_code == 405


def test_the_nav_links_to_the_explorers(signed_in):
    html = signed_in.get(LIST).content.decode()
    for path in ("/signins/", "/users/", "/mailboxes/", "/teams/", "/onedrive/"):
        assert f'href="{path}"' in html


# Filters ------------------------------------------------------------------------------------


def test_by_default_it_shows_the_last_24_hours_newest_first(signed_in, contoso):
    make_rows(SignIn, contoso, 3, graph_id=lambda i: f"h{i}",
              created=lambda i: NOW - timedelta(hours=[25, 1, 2][i]))
    assert _ids(signed_in.get(LIST)) == ["h1", "h2"]


FILTERS = [
    ({"user": "ADELE@contoso.com"}, ["s0", "s2"]),  # a UPN, whatever its case
    ({"user": "user-1"}, ["s1", "s3"]),  # or the user's object id
    ({"status": "failed"}, ["s1", "s3"]),
    ({"status": "succeeded"}, ["s0", "s2"]),
    ({"country": "jp"}, ["s0", "s2"]),
    ({"app": "portal"}, ["s1", "s3"]),
    ({"app": "app-0"}, ["s0", "s2"]),
    ({"client_app_used": "IMAP"}, ["s1"]),
    ({"ip_address": "203.0.113.3"}, ["s3"]),
    ({"risk_level_during_sign_in": "high"}, ["s1", "s3"]),
    ({"risk_state": "atRisk"}, ["s1"]),
    ({"status": "failed", "risk_state": "dismissed"}, ["s3"]),
]


@pytest.mark.parametrize("query, expected", FILTERS,
                         ids=["&".join(f"{k}={v}" for k, v in q.items()) for q, _e in FILTERS])
def test_each_filter_narrows_the_list(signed_in, contoso, varied, query, expected):
    assert _ids(signed_in.get(LIST, {"tenant": str(contoso.code), **query})) == expected


def test_it_filters_by_tenant(signed_in, contoso, varied):
    assert _ids(signed_in.get(LIST)) == ["s0", "s1", "s2", "s3", "other-tenant"]
    assert _ids(signed_in.get(LIST, {"tenant": str(contoso.code)})) == ["s0", "s1", "s2", "s3"]


def test_since_is_inclusive_and_until_exclusive(signed_in, contoso):
    make_rows(SignIn, contoso, 5, graph_id=lambda i: f"d{i}",
              created=lambda i: NOW - timedelta(days=i + 1))
    query = {"since": (NOW - timedelta(days=4)).isoformat(),
             "until": (NOW - timedelta(days=2)).isoformat()}
    assert _ids(signed_in.get(LIST, query)) == ["d2", "d3"]


def test_a_range_from_the_date_time_picker_is_read_in_the_server_time_zone(signed_in, contoso):
    make_rows(SignIn, contoso, 1, graph_id="picked", created=NOW - timedelta(days=3))
    picker = "%Y-%m-%dT%H:%M:%S"  # what <input type=datetime-local step=1> sends
    query = {"since": (NOW - timedelta(days=4)).strftime(picker),
             "until": (NOW - timedelta(days=2)).strftime(picker)}
    assert _ids(signed_in.get(LIST, query)) == ["picked"]


def test_the_form_offers_tenants_by_name_and_any_for_choices(signed_in, contoso):
    html = signed_in.get(LIST, {"tenant": str(contoso.code)}).content.decode()
    assert f'<option value="{contoso.code}" selected>Contoso</option>' in html
    assert '<option value="">All tenants</option>' in html
    assert '<option value="" selected>Any</option>' in html
    assert 'type="datetime-local"' in html


def test_the_window_may_be_as_long_as_the_setting(signed_in, contoso, settings):
    settings.EXPLORER_MAX_RANGE_DAYS = 3
    make_rows(SignIn, contoso, 1, graph_id="old", created=NOW - timedelta(days=2, hours=23))
    response = signed_in.get(LIST, {"since": (NOW - timedelta(days=3)).isoformat(),
                                    "until": NOW.isoformat()})
    assert _ids(response) == ["old"] and _problems(response) == []


# Bad input: a message and the unfiltered first page, never an error ---------------------------

OUT_OF_RANGE = "Enter a date between 1900-01-01 and 9998-12-31."
BAD_FILTERS = {
    "bad since": ({"since": "yesterday"}, "Since: Enter a valid date/time."),
    "bad until": ({"until": "2026-13-01T00:00:00Z"}, "Until: Enter a valid date/time."),
    "bad tenant": ({"tenant": "not-a-uuid"}, "Tenant: Enter a valid UUID."),
    "unknown status": (
        {"status": "exploded"},
        "Status: Select a valid choice. exploded is not one of the available choices.",
    ),
    "unknown risk": (
        {"risk_state": "bogus"},
        "Risk state: Select a valid choice. bogus is not one of the available choices.",
    ),
    "bad ip": ({"ip_address": "999.1.1.1"}, "IP address: Enter a valid IPv4 or IPv6 address."),
    "since after until": (
        {"since": (NOW - timedelta(hours=1)).isoformat(),
         "until": (NOW - timedelta(hours=2)).isoformat()},
        "The start of the time range must be before its end.",
    ),
    "range too long": (
        {"since": (NOW - timedelta(days=40)).isoformat(), "until": NOW.isoformat()},
        "The time range can be at most 31 days long.",
    ),
    "since too far back": (
        {"since": (NOW - timedelta(days=32)).isoformat()},
        "The time range can be at most 31 days long.",
    ),
    # Python's limits: the window arithmetic and time zones overflowed (a 500).
    "until in year 1": ({"until": "0001-01-01"}, f"Until: {OUT_OF_RANGE}"),
    "since in year 1, east of UTC": ({"since": "0001-01-01T00:00:00+09:00"},
                                     f"Since: {OUT_OF_RANGE}"),
    "since at the end of year 9999, west of UTC": ({"since": "9999-12-31T23:59:59-12:00"},
                                                  f"Since: {OUT_OF_RANGE}"),
}


@pytest.mark.parametrize("query, message", BAD_FILTERS.values(), ids=list(BAD_FILTERS))
def test_bad_filters_show_a_message_and_the_unfiltered_page(
    signed_in, contoso, varied, query, message
):
    response = signed_in.get(LIST, {"status": "failed", **query})
    assert _problems(response) == [message]
    assert _ids(response) == ["s0", "s1", "s2", "s3", "other-tenant"]  # not even status=failed
    html = response.content.decode()
    assert 'role="alert"' in html and "No filter is applied" in html
    assert "Export CSV" not in html  # it would export something other than what was asked


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_a_date_out_of_range_is_a_form_error_in_every_time_zone(signed_in, settings, time_zone):
    settings.TIME_ZONE = time_zone
    response = signed_in.get(LIST, {"until": "0001-01-01"})
    assert _problems(response) == [f"Until: {OUT_OF_RANGE}"]
    assert OUT_OF_RANGE in response.content.decode()


def test_a_bad_cursor_shows_a_message_and_the_first_page_with_the_filters(
    signed_in, contoso, varied
):
    response = signed_in.get(LIST, {"status": "failed", "cursor": "garbage"})
    assert _problems(response) == ["That page link is not valid; showing the first page."]
    assert _ids(response) == ["s1", "s3"]
    assert response.context["filters_ignored"] is False


def test_a_tampered_cursor_is_refused(signed_in, contoso):
    make_rows(SignIn, contoso, 51, created=lambda i: NOW - timedelta(seconds=i + 1))
    cursor = signed_in.get(LIST).context["next_cursor"]
    payload, signature = cursor.rsplit(":", 1)
    response = signed_in.get(LIST, {"cursor": f"{payload}:{signature[::-1]}"})
    assert _problems(response) == ["That page link is not valid; showing the first page."]
    assert len(_ids(response)) == 50


def test_an_empty_result_says_so(signed_in, contoso):
    response = signed_in.get(LIST, {"status": "failed"})
    assert _ids(response) == []
    assert "No sign-ins match these filters." in response.content.decode()


def test_hostile_names_are_shown_as_text(signed_in, contoso):
    make_rows(SignIn, contoso, 1, created=NOW - timedelta(minutes=1),
              user_display_name=HOSTILE, app_display_name=HOSTILE, failure_reason=HOSTILE,
              error_code=50126)
    html = signed_in.get(LIST).content.decode()
    assert HOSTILE not in html
    # Name and application, plus the titles that show them in full on hover (the known
    # code's meaning stands for Graph's reason, which the sign-in's own page shows).
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4


def test_status_is_written_out_not_only_coloured(signed_in, contoso, varied):
    html = signed_in.get(LIST, {"tenant": str(contoso.code)}).content.decode()
    assert html.count('<span class="status status-failed">Failed</span>') == 2
    assert html.count('<span class="status status-succeeded">Succeeded</span>') == 2


# Keyset pages -------------------------------------------------------------------------------


def _walk(client, query) -> tuple[list[str], int]:
    """Every graph_id across the pages, following the page's own Older link."""
    seen, pages, response = [], 0, client.get(LIST, query)
    while True:
        pages += 1
        seen += _ids(response)
        cursor = response.context["next_cursor"]
        if not cursor:
            return seen, pages
        assert f"cursor={cursor}" in response.content.decode().replace("%3A", ":")
        response = client.get(LIST, {**query, "cursor": cursor})


def test_pages_cover_every_row_once_even_when_times_tie(signed_in, contoso):
    # 123 rows on 31 instants, four to an instant: page edges fall inside ties.
    rows = make_rows(SignIn, contoso, 123, created=lambda i: NOW - timedelta(seconds=1 + i // 4))
    make_rows(SignIn, make_tenant(), 40, created=lambda i: NOW - timedelta(seconds=1 + i // 4))
    seen, pages = _walk(signed_in, {"tenant": str(contoso.code)})
    assert pages == 3
    expected = [r.graph_id for r in sorted(rows, key=lambda r: (r.created, r.pk), reverse=True)]
    assert seen == expected


def test_a_row_arriving_between_pages_does_not_shift_the_next_page(signed_in, contoso):
    rows = make_rows(SignIn, contoso, 60, created=lambda i: NOW - timedelta(minutes=i + 1))
    first = signed_in.get(LIST)
    make_rows(SignIn, contoso, 1, created=NOW - timedelta(seconds=1))
    second = signed_in.get(LIST, {"cursor": first.context["next_cursor"]})
    assert _ids(first) + _ids(second) == [r.graph_id for r in rows]
    assert second.context["next_cursor"] is None
    assert "Newest" in second.content.decode() and "Newest" not in first.content.decode()


def test_the_query_count_does_not_grow_with_rows(signed_in, contoso, django_assert_max_num_queries):
    counts = []
    for count in (3, 120):
        make_rows(SignIn, make_tenant(), count, created=lambda i: NOW - timedelta(seconds=i + 1))
        # +1 since two-factor sign-in: whether the session owes a second factor.
        with django_assert_max_num_queries(7), CaptureQueriesContext(connection) as queries:
            assert signed_in.get(LIST).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_every_sign_in_query_is_bounded_in_time(signed_in, contoso):
    make_rows(SignIn, contoso, 60, created=lambda i: NOW - timedelta(seconds=i + 1))
    cursor = signed_in.get(LIST).context["next_cursor"]
    with CaptureQueriesContext(connection) as queries:
        signed_in.get(LIST, {"cursor": cursor, "user": "x"})
        b"".join(signed_in.get(EXPORT).streaming_content)
    on_signins = [q["sql"] for q in queries if 'FROM "m365admin_signin"' in q["sql"]]
    assert len(on_signins) == 2
    for sql in on_signins:
        assert '"m365admin_signin"."created" >=' in sql and '"m365admin_signin"."created" <' in sql


# CSV export ---------------------------------------------------------------------------------


def test_the_export_holds_exactly_the_filtered_rows(signed_in, contoso, varied):
    rows = _csv(signed_in.get(EXPORT, {"tenant": str(contoso.code), "status": "failed"}))
    header, body = rows[0], rows[1:]
    assert header == list(views.SIGNIN_CSV_COLUMNS)
    assert [row[header.index("graph_id")] for row in body] == ["s1", "s3"]
    first = dict(zip(header, body[0]))
    assert first["tenant"] == "Contoso"
    assert first["status"] == "failed" and first["error_code"] == "50126"
    assert first["user_principal_name"] == "alex@contoso.com"
    assert datetime.fromisoformat(first["created"]) == NOW - timedelta(minutes=2)


def test_the_export_reads_the_same_window_as_the_list(signed_in, contoso):
    make_rows(SignIn, contoso, 3, graph_id=lambda i: f"w{i}",
              created=lambda i: NOW - timedelta(hours=[1, 25, 50][i]))
    rows = _csv(signed_in.get(EXPORT))
    assert [row[-1] for row in rows[1:]] == ["w0"]
    rows = _csv(signed_in.get(EXPORT, {"since": (NOW - timedelta(hours=49)).isoformat()}))
    assert [row[-1] for row in rows[1:]] == ["w0", "w1"]


def test_the_export_crosses_chunk_boundaries(signed_in, contoso):
    make_rows(SignIn, contoso, 1234, created=lambda i: NOW - timedelta(seconds=i + 1))
    rows = _csv(signed_in.get(EXPORT))
    assert len(rows) == 1235 and len({row[-1] for row in rows[1:]}) == 1234


FORMULAS = ["=HYPERLINK(\"http://evil\")", "+1+2", "-3", "@SUM(A1)", "\tx", "\rx"]


def test_the_export_neutralises_formulas(signed_in, contoso):
    make_rows(SignIn, contoso, len(FORMULAS) + 1,
              created=lambda i: NOW - timedelta(minutes=i + 1),
              user_display_name=lambda i: ([*FORMULAS, "Adele = Vance"])[i],
              app_display_name="=cmd|' /C calc'!A0")
    rows = _csv(signed_in.get(EXPORT))
    header = rows[0]
    names = [row[header.index("user_display_name")] for row in rows[1:]]
    assert names == [f"'{value}" for value in FORMULAS] + ["Adele = Vance"]
    assert {row[header.index("app_display_name")] for row in rows[1:]} == {"'=cmd|' /C calc'!A0"}


def test_the_export_starts_with_a_byte_order_mark_for_spreadsheets(signed_in):
    assert b"".join(signed_in.get(EXPORT).streaming_content).startswith("\ufeff".encode())


@pytest.mark.parametrize("query, message", [
    ({"since": "yesterday", "tenant": "x"},
     "No export: Tenant: Enter a valid UUID. Since: Enter a valid date/time."),
    ({"until": "0001-01-01"}, f"No export: Until: {OUT_OF_RANGE}"),
    ({"since": (NOW - timedelta(days=40)).isoformat()},
     "No export: The time range can be at most 31 days long."),
])
def test_an_export_with_bad_filters_is_a_400_that_says_why(signed_in, query, message):
    response = signed_in.get(EXPORT, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == message


def test_under_asgi_the_export_streams_asynchronously(viewer, contoso, varied):
    # Django reads a sync iterator to its end in memory before sending it under ASGI.
    request = AsyncRequestFactory().get(EXPORT, {"tenant": str(contoso.code)})
    request.user = viewer
    response = views.signin_export(request)
    assert response.is_async

    async def read() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    rows = list(csv.reader(io.StringIO(async_to_sync(read)().decode("utf-8-sig"))))
    assert [row[-1] for row in rows[1:]] == ["s0", "s1", "s2", "s3"]


# Quick ranges -------------------------------------------------------------------------------


def test_quick_ranges_select_their_window(signed_in, contoso):
    make_rows(SignIn, contoso, 3, graph_id=lambda i: f"ago-{i}",
              created=lambda i: NOW - [timedelta(minutes=30), timedelta(hours=5),
                                       timedelta(days=3)][i])
    ranges = {str(r.label): r for r in signed_in.get(LIST).context["quick_ranges"]}
    assert list(ranges) == ["1 h", "Today", "24 h", "7 d", "30 d"]
    assert _ids(signed_in.get(LIST, {"since": ranges["1 h"].since})) == ["ago-0"]
    assert _ids(signed_in.get(LIST, {"since": ranges["7 d"].since})) == ["ago-0", "ago-1", "ago-2"]


def test_today_starts_at_midnight_where_the_reader_is(signed_in, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    ranges = {str(r.label): r.since for r in signed_in.get(LIST).context["quick_ranges"]}
    assert ranges["Today"].endswith("T00:00:00")


def test_quick_ranges_longer_than_the_limit_are_not_offered(signed_in, settings):
    settings.EXPLORER_MAX_RANGE_DAYS = 7
    labels = [str(r.label) for r in signed_in.get(LIST).context["quick_ranges"]]
    assert labels == ["1 h", "Today", "24 h", "7 d"]


def test_the_user_status_and_reason_come_before_the_other_columns(signed_in, contoso, varied):
    html = signed_in.get(LIST, {"status": "failed"}).content.decode()
    order = [html.index(text) for text in ('class="col-user"', 'class="col-status"',
                                           'class="col-app"', 'class="col-ip prio-2"')]
    assert order == sorted(order)
    assert "Wrong user name or password" in html and "Blocked by Conditional Access" in html


def test_risk_is_written_in_words_and_none_is_a_dash(signed_in, contoso, varied):
    html = signed_in.get(LIST, {"tenant": str(contoso.code)}).content.decode()
    cells = html[html.index("<tbody>"):]
    assert "atRisk" not in cells and "At risk" in cells
    assert ">none<" not in cells


def test_risky_lists_what_the_dashboard_counts(signed_in, contoso, varied):
    # s1 high/atRisk, s2 low, s3 high/dismissed are risky; s0 none/none is not.
    assert sorted(_ids(signed_in.get(LIST, {"risky": "true"}))) == ["s1", "s2", "s3"]
    assert sorted(_ids(signed_in.get(LIST, {"risky": "false", "tenant": str(contoso.code)}))) == ["s0"]
