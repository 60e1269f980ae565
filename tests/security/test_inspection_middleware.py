"""Request inspection through the whole stack: what is recorded where, block mode, bad input
answered with a 4xx (counted in the request statistics), and hostile M365 data escaped."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from m365admin.models import DirectoryUser, Mailbox, OneDriveAccount, SignIn, Team
from m365admin.models.audit import AuditEntry
from monitoring import requeststats
from monitoring.messages import Tick
from monitoring.models import Alert, RequestStat
from security.choices import EventKind
from security.models import SecurityEvent
from tests.factories import make_alert, make_rows, make_tenant

pytestmark = pytest.mark.django_db

SQLI = "1' OR '1'='1"
XSS = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def alert():
    return make_alert()


def _events() -> list[tuple[str, str, bool]]:
    found = SecurityEvent.objects.filter(kind__in=[EventKind.SQL_INJECTION, EventKind.XSS])
    return sorted(found.values_list("kind", "location", "blocked"))


def _resolve(client, alert: Alert, body, content_type: str = "application/json"):
    data = json.dumps(body) if not isinstance(body, bytes | str) else body
    return client.generic("POST", f"/api/v1/alerts/{alert.code}/resolve", data,
                          content_type=content_type)


# Where attacks are found ------------------------------------------------------------------


def test_it_records_an_attack_in_the_query_string(signed_in):
    response = signed_in.get("/users/", {"q": XSS, "department": "Sales"})
    assert response.status_code == 200  # detect-only: the page is served
    event = SecurityEvent.objects.get(kind=EventKind.XSS)
    assert (event.location, event.blocked) == ("query:q", False)
    assert event.details == {"rule": "libinjection-xss", "sample": XSS}
    assert (event.username, event.ip_address, event.method, event.path) == (
        "victor", "127.0.0.1", "GET", "/users/")


def test_it_records_an_attack_in_a_query_parameters_name(signed_in):
    signed_in.get("/users/", {XSS: "1"})
    assert _events() == [(EventKind.XSS, f"query:{XSS}", False)]


def test_it_records_a_form_field_but_never_looks_at_passwords(client):
    response = client.post("/accounts/login/", {"username": SQLI, "password": "' OR 1=1--"})
    assert response.status_code == 200  # the form says the sign-in failed
    assert (EventKind.SQL_INJECTION, "form:username", False) in _events()
    assert not SecurityEvent.objects.filter(location="form:password").exists()
    samples = SecurityEvent.objects.filter(kind=EventKind.SQL_INJECTION).values_list(
        "details__sample", flat=True)
    assert all("1=1--" not in sample for sample in samples)


def test_it_records_json_strings_by_path_and_the_api_still_reads_the_body(
    client, operator, alert
):
    client.force_login(operator)
    body = {"note": f"checked {IMG}", "meta": {"tags": ["ok", "1; DROP TABLE users--"]}}
    response = _resolve(client, alert, body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert alert.transitions.get(to_status="resolved").note == f"checked {IMG}"
    assert _events() == [
        (EventKind.SQL_INJECTION, "json:$.meta.tags[1]", False),
        (EventKind.XSS, "json:$.note", False),
    ]


def test_it_records_user_agent_and_a_foreign_referer(signed_in):
    signed_in.get("/users/", HTTP_USER_AGENT=f"Mozilla/5.0 {SQLI}",
                  HTTP_REFERER=f"https://elsewhere.example/?q={XSS}")
    assert _events() == [
        (EventKind.SQL_INJECTION, "header:User-Agent", False),
        (EventKind.XSS, "header:Referer", False),
    ]


def test_it_skips_the_referer_of_its_own_pages(signed_in):
    # The query was inspected (and recorded) when that page was requested.
    signed_in.get("/users/", HTTP_REFERER=f"http://testserver/users/?q={XSS}")
    assert _events() == []


def test_it_records_a_small_multipart_form_but_never_reads_an_upload(signed_in):
    signed_in.post("/users/", {"name": XSS})  # the test client sends multipart
    assert _events() == [(EventKind.XSS, "form:name", False)]
    SecurityEvent.objects.all().delete()
    upload = SimpleUploadedFile("big.bin", b"x" * 100_000)
    signed_in.post("/users/", {"name": XSS, "file": upload})
    assert _events() == []


def test_it_records_values_holding_nul(signed_in):
    # PostgreSQL refuses NUL in text and JSON: the event keeps U+FFFD in its place.
    signed_in.get("/users/", {"q": "java\x00script:alert(1)", "<svg onload=\x00alert(1)>": "1"})
    assert _events() == [(EventKind.XSS, "query:<svg onload=\ufffdalert(1)>", False),
                         (EventKind.XSS, "query:q", False)]
    assert SecurityEvent.objects.get(location="query:q").details["sample"] == (
        "java\ufffdscript:alert(1)")
    SecurityEvent.objects.all().delete()
    assert signed_in.get("/users/%00", {"q": XSS}).status_code == 404
    assert SecurityEvent.objects.get(kind=EventKind.XSS).path == "/users/\ufffd"


def test_it_records_json_holding_lone_surrogates(client, operator, alert):
    # JSON may escape half a surrogate pair, which no database can store as text.
    client.force_login(operator)
    _resolve(client, alert, '{"note": "\\ud800<svg onload=alert(1)>", "\\udcff<b onclick=x()>": 1}')
    assert _events() == [(EventKind.XSS, "json:$.?<b onclick=x()>", False),
                         (EventKind.XSS, "json:$.note", False)]


def test_it_passes_the_odd_strings_of_m365_data(signed_in):
    for query in ("O'Brien", "select a plan", "Tom & Jerry", "東京オフィス", "Union Station",
                  "AdeleV@contoso.onmicrosoft.com", "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"):
        assert signed_in.get("/users/", {"q": query}).status_code == 200
    assert _events() == []


def test_it_inspects_a_body_only_up_to_the_limit(client, operator, alert, settings):
    settings.INSPECTION_MAX_BODY_BYTES = 1024
    client.force_login(operator)
    _resolve(client, alert, {"note": "x" * 2000, "z": XSS})
    assert _events() == []
    _resolve(client, make_alert(), {"a": XSS, "note": "x" * 2000})
    assert _events() == [(EventKind.XSS, "json:$.a", False)]


def test_it_writes_at_most_ten_events_for_one_request(signed_in):
    signed_in.get("/users/", {f"q{n}": XSS for n in range(50)})
    assert len(_events()) == 10


# An address's cap: a flood writes a few rows, one of them counting the rest -------------------


@pytest.fixture
def frozen():
    """A still clock: the cap's window never ends in the middle of a test."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        yield clock


def _rows(address: str) -> list[tuple[str, int]]:
    return list(SecurityEvent.objects.filter(ip_address=address).order_by("id")
                .values_list("kind", "count"))


def test_past_the_cap_one_event_counts_the_rest_of_an_address(signed_in, settings, frozen):
    settings.INSPECTION_EVENTS_PER_ADDRESS = "5/m"
    for _ in range(12):
        assert signed_in.get("/users/", {"q": XSS}, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert _rows("192.0.2.7") == [(EventKind.XSS, 1)] * 5 + [(EventKind.XSS, 7)]
    # Another kind past the cap gets a counted event of its own.
    signed_in.get("/users/", {"q": SQLI}, REMOTE_ADDR="192.0.2.7")
    signed_in.get("/users/", {"q": SQLI}, REMOTE_ADDR="192.0.2.7")
    assert _rows("192.0.2.7")[-1] == (EventKind.SQL_INJECTION, 2)
    # Another address has its own cap.
    signed_in.get("/users/", {"q": XSS}, REMOTE_ADDR="192.0.2.8")
    assert _rows("192.0.2.8") == [(EventKind.XSS, 1)]


def test_one_request_with_many_findings_spends_the_cap_at_once(signed_in, settings, frozen):
    settings.INSPECTION_EVENTS_PER_ADDRESS = "5/m"
    signed_in.get("/users/", {f"q{n}": XSS for n in range(12)}, REMOTE_ADDR="192.0.2.7")
    # Ten findings at most per request: five recorded, five counted in one event.
    assert _rows("192.0.2.7") == [(EventKind.XSS, 1)] * 5 + [(EventKind.XSS, 5)]


def test_a_new_window_records_again(signed_in, settings, frozen):
    settings.INSPECTION_EVENTS_PER_ADDRESS = "2/m"
    for _ in range(4):
        signed_in.get("/users/", {"q": XSS}, REMOTE_ADDR="192.0.2.7")
    frozen.shift(61)
    for _ in range(3):
        signed_in.get("/users/", {"q": XSS}, REMOTE_ADDR="192.0.2.7")
    assert [count for _, count in _rows("192.0.2.7")] == [1, 1, 2, 1, 1, 1]


def test_the_security_page_and_alerts_count_what_the_counted_event_stands_for(
        signed_in, settings, frozen):
    from monitoring.alerts.alerting import observe
    from security.overview import security_overview

    settings.INSPECTION_EVENTS_PER_ADDRESS = "3/m"
    for _ in range(10):
        signed_in.get("/users/", {"q": XSS}, REMOTE_ADDR="192.0.2.7")
    assert len(_rows("192.0.2.7")) == 4
    overview = security_overview()
    assert overview["by_kind"][EventKind.XSS] == 10
    assert overview["top_ips"][0] == {"ip_address": "192.0.2.7", "events": 10, "kinds": 1}
    (observation,) = [o for o in observe(Tick()) if o.labels == {"ip": "192.0.2.7"}]
    assert (observation.metric, observation.value) == (EventKind.XSS, 10.0)
    page = signed_in.get("/security/").content.decode()
    assert "×7" in page


def test_it_leaves_probes_alone(client):
    client.get("/healthz", {"q": XSS})
    assert _events() == []


# Block mode --------------------------------------------------------------------------------


def test_block_mode_refuses_with_a_plain_403_and_records_it(signed_in, settings):
    settings.ATTACK_BLOCK_MODE = True
    response = signed_in.get("/users/", {"q": SQLI})
    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "This request was refused: it looks like an attack on this site.")
    assert _events() == [(EventKind.SQL_INJECTION, "query:q", True)]
    assert AuditEntry.objects.filter(action="access.denied", target="/users/").exists()


def test_block_mode_refuses_a_path_holding_nul(signed_in, settings):
    settings.ATTACK_BLOCK_MODE = True
    assert signed_in.get("/users/%00", {"q": SQLI}).status_code == 403
    assert AuditEntry.objects.filter(action="access.denied", target="/users/\ufffd").exists()


def test_block_mode_lets_ordinary_requests_through(signed_in, settings):
    settings.ATTACK_BLOCK_MODE = True
    assert signed_in.get("/users/", {"q": "O'Brien"}).status_code == 200


def test_the_api_refuses_in_block_mode_before_changing_anything(client, operator, alert,
                                                                settings):
    settings.ATTACK_BLOCK_MODE = True
    client.force_login(operator)
    assert _resolve(client, alert, {"note": XSS}).status_code == 403
    alert.refresh_from_db()
    assert alert.status != "resolved"


# Bad input: a 4xx with a message, never a 500, and counted --------------------------------

RESOLVE_ROUTE = "api/v1/alerts/<uuid:code>/resolve"


@pytest.fixture
def refusals():
    """The request statistics' 4xx count per route for the requests made in the test."""
    far = time.time() + 10**6
    requeststats.aggregator.flush(now=far)  # what earlier tests left pending
    RequestStat.objects.all().delete()

    def count(route: str) -> int:
        requeststats.aggregator.flush(now=far)
        return sum(RequestStat.objects.filter(route=route).values_list("refused", flat=True))

    return count


@pytest.mark.parametrize(("body", "content_type", "status", "message"), [
    ("{bad", "application/json", 400, "JSON parse error"),
    ("[" * 50_000 + "]" * 50_000, "application/json", 400, "nested too deeply"),
    (b'{"note": "\xff"}', "application/json", 400, "JSON parse error"),
    ('{"note": "\\u0000"}', "application/json", 400, "Null characters are not allowed"),
    # A charset Python knows as a compressor: decoding it could inflate a small body.
    ('{"note": "x"}', "application/json; charset=bz2_codec", 400, "Unsupported charset"),
    ("note=x", "text/plain", 415, "Unsupported media type"),
    ("<note/>", "application/xml", 415, "Unsupported media type"),
])
def test_bad_api_input_is_a_4xx_with_a_message(client, operator, alert, refusals, body,
                                               content_type, status, message):
    client.force_login(operator)
    response = _resolve(client, alert, body, content_type)
    assert response.status_code == status
    assert message in response.content.decode()
    assert refusals(RESOLVE_ROUTE) == 1


def test_an_unknown_charset_is_read_as_utf8(client, operator, alert):
    client.force_login(operator)
    response = _resolve(client, alert, {"note": "x"}, "application/json; charset=bogus")
    assert response.status_code == 200


def test_a_body_over_the_upload_limit_is_a_400_that_says_so(client, operator, alert, settings,
                                                            refusals):
    client.force_login(operator)
    response = _resolve(client, alert, {"note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is too large: the limit is 2.5\xa0MB."}
    assert refusals(RESOLVE_ROUTE) == 1


def test_too_many_form_fields_is_a_400_that_says_so(client, refusals):
    response = client.post("/accounts/login/", "&".join(f"f{n}=1" for n in range(1200)),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "The request has too many fields: the limit is 1000."
    assert refusals("accounts/login/") == 1  # on its route: inspection let the view refuse it


def test_inspection_leaves_bad_input_to_the_view_that_reads_it(signed_in):
    # /users/ never reads a body: a POST is a 405 with or without a thousand fields.
    response = signed_in.post("/users/", "&".join(f"f{n}=1" for n in range(1200)),
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 405


@pytest.mark.parametrize("username", [
    "ali\x00ce", "ali\x01\x1bce", "ali\u202ece", "ali\u200bce", "ａｌｉｃｅ", "a" * 10_000,
])
def test_odd_usernames_get_the_sign_in_form_again(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": "pw"})
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("username", ["a" * 10_000, "ali\u202ece"])
def test_odd_usernames_at_the_token_endpoint_are_wrong_credentials(client, username):
    # django-axes stores the username in a 255-character column: 10 000 was a 500 on PostgreSQL.
    response = client.post("/api/v1/auth/token", {"username": username, "password": "pw"},
                           content_type="application/json")
    assert response.status_code == 401


def test_a_username_with_nul_is_a_form_error_not_a_database_error(client):
    response = client.post("/accounts/login/", {"username": "ali\x00ce", "password": "pw"})
    assert response.context["form"].errors["username"] == ["Null characters are not allowed."]


def test_very_long_headers_are_served(signed_in):
    response = signed_in.get("/users/", HTTP_USER_AGENT="x" * 200_000,
                             HTTP_REFERER="https://elsewhere.example/" + "y" * 100_000)
    assert response.status_code == 200


def test_under_daphne_bad_input_is_a_4xx_and_attacks_are_recorded(live_site):
    base = live_site.serve("--no-scheduler")
    token = base + "/api/v1/auth/token"  # JSON, open to anyone
    too_big = json.dumps({"username": "x" * 2_621_441, "password": "y"})
    assert _send(token, too_big, "application/json") == (
        400, {"detail": "The request body is too large: the limit is 2.5\xa0MB."})
    assert _send(token, "[" * 50_000 + "]" * 50_000, "application/json") == (
        400, {"detail": "JSON parse error - the document is nested too deeply."})
    assert _send(token, "{bad", "application/json")[0] == 400
    assert _send(token, "x", "text/plain")[0] == 415
    assert _send(f"{base}/accounts/login/?q=%3Cscript%3Ealert(1)%3C/script%3E")[0] == 200
    assert live_site.query("SELECT kind, location FROM security_securityevent") == [
        ("xss", "query:q")]


@pytest.mark.redis
def test_the_cap_holds_across_two_web_processes_through_redis(live_site):
    live_site.env.update(REDIS_URL=django_settings.REDIS_URL, TRUSTED_PROXIES="127.0.0.1",
                         INSPECTION_EVENTS_PER_ADDRESS="4/h", RATELIMIT_ANONYMOUS="1000/h",
                         CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    first, second = live_site.serve("--no-scheduler"), live_site.serve("--no-scheduler")
    hostile = "/accounts/login/?q=%3Cscript%3Ealert(1)%3C/script%3E"
    for base in [first, second] * 5:
        request = urllib.request.Request(base + hostile, headers={"X-Forwarded-For": "192.0.2.7"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
    assert live_site.query(
        "SELECT count FROM security_securityevent WHERE ip_address = '192.0.2.7' ORDER BY id"
    ) == [(1,), (1,), (1,), (1,), (6,)]


def _send(url: str, body: str | None = None, content_type: str = "") -> tuple[int, object]:
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(url, body and body.encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# Hostile M365 data is shown as text ---------------------------------------------------------

PAGES = ["/", "/signins/", "/users/", "/mailboxes/", "/teams/", "/onedrive/", "/dashboard/",
         "/alerts/"]
API_LISTS = {"/api/v1/users/": "display_name", "/api/v1/sign-ins/": "user_display_name",
             "/api/v1/tenants/": "name"}


def _both(row: int) -> str:
    return (XSS, IMG)[row]


@pytest.fixture
def hostile_tenant():
    tenant = make_tenant(name=XSS)
    make_rows(DirectoryUser, tenant, 2, display_name=_both, department=IMG, job_title=XSS)
    make_rows(SignIn, tenant, 2, created=datetime.now(UTC), user_display_name=_both,
              app_display_name=IMG, city=XSS)
    make_rows(Mailbox, tenant, 1, display_name=IMG)
    make_rows(Team, tenant, 1, display_name=XSS)
    make_rows(OneDriveAccount, tenant, 1, owner_display_name=IMG)
    make_alert(summary=XSS, tenant=tenant)
    return tenant


@pytest.mark.parametrize("page", PAGES)
def test_pages_escape_hostile_display_names(client, admin, hostile_tenant, page):
    client.force_login(admin)
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html and IMG not in html
    assert "<img src=x" not in html


def test_the_lists_show_hostile_names_as_text(client, admin, hostile_tenant):
    client.force_login(admin)
    html = client.get("/users/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(("url", "field"), API_LISTS.items())
def test_the_api_returns_hostile_names_as_json_data(client, admin, hostile_tenant, url, field):
    client.force_login(admin)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert XSS in {row[field] for row in response.json()["results"]}
