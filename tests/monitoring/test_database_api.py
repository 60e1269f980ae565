"""The database console over HTTP: the API's reads and actions, the pages, who may use them
(Administrators only), the clear 4xx answers, and the degraded console on SQLite.

On PostgreSQL the API reads the test database's own statistics; actions go from the preview to
the worker's result. On SQLite the console says it needs PostgreSQL: in-process when the suite
runs on SQLite, and through a real `manage.py serve` on an SQLite file when it runs on
PostgreSQL (CI), so both runs cover it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.test import Client

from monitoring.choices import DatabaseActionState as State
from monitoring.dbconsole import worker
from monitoring.models import DatabaseAction

postgres = pytest.mark.postgres
API = "/api/v1/database"
TARGET = "public.monitoring_tablesizesnapshot"  # a table no test here writes to

# Each read, with the keys its answer must have.
READS = {
    f"{API}/": {"vendor", "available", "version", "database", "size_bytes",
                "statements_problem", "pgstattuple", "xid_wraparound_percent", "stats_reset",
                "what_to_fix"},
    f"{API}/queries?limit=5": {"queries"},
    f"{API}/tables": {"tables", "sequential_scans"},
    f"{API}/tables/public.auth_user/bloat": {"table", "measured", "dead_percent",
                                             "free_percent", "note"},
    f"{API}/indexes": {"unused", "duplicate", "invalid", "suggested"},
    f"{API}/activity?min_seconds=0": {"connections", "long_running", "blocked"},
    f"{API}/cache": {"table_percent", "index_percent", "low_tables", "advice"},
    f"{API}/sequences": {"sequences"},
    f"{API}/settings": {"settings", "memory_bytes", "connections", "temp_files"},
    f"{API}/replication": {"is_replica", "replicas", "summary"},
    f"{API}/queries/4242/history": {"queryid", "captured", "calls", "mean_ms"},
    f"{API}/pool": {"settings", "this_process", "processes"},
    f"{API}/partitions": {"tables"},
    f"{API}/history": {"sizes"},
    f"{API}/actions": {"count", "next", "previous", "results"},
}
# The reads that ask PostgreSQL's statistics (the action list is m365admin's own table).
STATISTICS_READS = [path for path in READS if not path.endswith(("/actions", f"{API}/"))] + [
    f"{API}/queries/4242/explain"]
POSTS = {
    f"{API}/actions/preview": {"kind": "analyze", "target": TARGET},
    f"{API}/actions": {"kind": "analyze", "target": TARGET,
                       "statements": [f"ANALYZE {TARGET}"]},
    f"{API}/actions/999999/cancel": {},
}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, path: str, body: dict):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def admin_client(administrator) -> Client:
    return _signed_in(administrator)


# Who may use it ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["viewer", "operator"])
def test_viewers_and_operators_are_refused_every_read_and_action(persona, request):
    client = _signed_in(request.getfixturevalue(persona))
    for path in [*READS, f"{API}/queries/4242/explain", f"{API}/actions/999999"]:
        assert client.get(path).status_code == 403, path
    for path, body in POSTS.items():
        assert _post(client, path, body).status_code == 403, path
    assert not DatabaseAction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["viewer", "operator"])
def test_viewers_and_operators_are_refused_the_pages(persona, request):
    client = _signed_in(request.getfixturevalue(persona))
    assert client.get("/database/").status_code == 403
    assert client.get(f"/database/actions/confirm?kind=analyze&target={TARGET}").status_code == 403
    assert client.post("/database/actions/", {"kind": "analyze", "target": TARGET,
                                              "statement": f"ANALYZE {TARGET}"}).status_code == 403
    assert not DatabaseAction.objects.exists()


def test_anonymous_callers_are_not_let_in(client, db):
    assert client.get(f"{API}/tables").status_code in (401, 403)
    assert client.get("/database/").status_code == 302  # to the sign-in page


# Reads (PostgreSQL) --------------------------------------------------------------------------


@postgres
@pytest.mark.django_db
@pytest.mark.parametrize("path", list(READS))
def test_an_administrator_reads_each_endpoint(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200, response.content
    assert READS[path] <= set(response.json())


@postgres
@pytest.mark.django_db
def test_the_reads_carry_this_databases_figures(admin_client, settings):
    status = admin_client.get(f"{API}/").json()
    assert (status["vendor"], status["available"]) == ("postgresql", True)
    assert status["database"] == connection.settings_dict["NAME"]
    assert status["statements_problem"] == ""

    queries = admin_client.get(f"{API}/queries?limit=3").json()["queries"]
    assert len(queries) == 3
    assert {"queryid", "query", "calls", "total_ms", "mean_ms", "percent"} <= set(queries[0])
    assert isinstance(queries[0]["queryid"], str)  # beyond JavaScript's 2^53

    tables = {row["name"]: row for row in admin_client.get(f"{API}/tables").json()["tables"]}
    assert tables["public.m365admin_signin"]["partitioned"] is True
    assert tables["public.m365admin_signin"]["partitions"] >= 3

    bloat = admin_client.get(f"{API}/tables/public.auth_user/bloat").json()
    assert bloat["table"] == "public.auth_user" and bloat["measured"] is True

    pool = admin_client.get(f"{API}/pool").json()
    assert pool["this_process"]["application_name"] == settings.DATABASE_APPLICATION_NAME

    partitions = admin_client.get(f"{API}/partitions").json()["tables"]
    assert "m365admin_signin" in [table["table"] for table in partitions]


@postgres
@pytest.mark.django_db
def test_bad_read_parameters_are_400(admin_client):
    assert admin_client.get(f"{API}/queries?limit=0").status_code == 400
    assert admin_client.get(f"{API}/queries?limit=501").status_code == 400
    assert admin_client.get(f"{API}/queries?limit=many").status_code == 400
    assert admin_client.get(f"{API}/activity?min_seconds=-1").status_code == 400


@postgres
@pytest.mark.django_db
def test_bloat_of_a_missing_table_is_404_with_the_reason(admin_client):
    response = admin_client.get(f"{API}/tables/public.nope/bloat")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no table public.nope."}


@postgres
@pytest.mark.django_db
def test_explain_of_an_unknown_or_impossible_query_id_is_400(admin_client):
    unknown = admin_client.get(f"{API}/queries/4242/explain")
    assert unknown.status_code == 400
    assert "No statement with query ID 4242" in unknown.json()["detail"]
    too_big = admin_client.get(f"{API}/queries/99999999999999999999/explain")
    assert too_big.status_code == 400
    assert "signed 64-bit" in too_big.json()["detail"]
    assert admin_client.get(f"{API}/queries/abc/explain").status_code == 404  # no such URL


@postgres
@pytest.mark.django_db(transaction=True)  # the plan is read in a read-only transaction
def test_explain_of_a_recorded_select_gives_its_plan(admin_client):
    queries = admin_client.get(f"{API}/queries?limit=500").json()["queries"]
    select = next(row for row in queries if row["query"].startswith("SELECT")
                  and "FROM \"auth_user\"" in row["query"])
    response = admin_client.get(f"{API}/queries/{select['queryid']}/explain")
    assert response.status_code == 200, response.content
    assert response.json()["query"] == select["query"]
    assert "auth_user" in response.json()["plan"]
    page = admin_client.get(f"/database/queries/{select['queryid']}/explain")
    assert page.status_code == 200
    assert "auth_user" in page.content.decode()


# Actions (PostgreSQL) ------------------------------------------------------------------------


@postgres
@pytest.mark.django_db
def test_preview_then_create_then_follow_an_action_to_its_result(admin_client):
    preview = _post(admin_client, f"{API}/actions/preview", {"kind": "analyze", "target": TARGET})
    assert preview.status_code == 200
    assert preview.json() == {"kind": "analyze", "target": TARGET, "column": "",
                              "statements": [f"ANALYZE {TARGET}"], "warnings": []}

    # The preview's answer, posted back as it is (its blank column and warnings included).
    created = _post(admin_client, f"{API}/actions", preview.json())
    assert created.status_code == 201, created.content
    action = created.json()
    assert (action["state"], action["statements"]) == (State.QUEUED, [f"ANALYZE {TARGET}"])
    assert action["requested_by"] == "adam"

    shown = admin_client.get(f"{API}/actions/{action['id']}").json()
    assert shown["state"] == State.QUEUED and shown["progress"] is None
    listed = admin_client.get(f"{API}/actions").json()
    assert [row["id"] for row in listed["results"]] == [action["id"]]

    # Started twice: refused while the first is queued.
    again = _post(admin_client, f"{API}/actions",
                  {"kind": "vacuum", "target": TARGET, "statements": [
                      f"VACUUM (ANALYZE) {TARGET}"]})
    assert again.status_code == 409
    assert f"Action #{action['id']}" in again.json()["detail"]

    assert worker.run_queued() == 1
    done = admin_client.get(f"{API}/actions/{action['id']}").json()
    assert done["state"] == State.SUCCEEDED, done["result"]
    assert done["result"] == f"ANALYZE {TARGET} → ANALYZE"
    assert done["seconds"] is not None and done["finished"]
    assert done["progress"] == {"step": 1, "steps": 1, "statement": f"ANALYZE {TARGET}"}

    finished = admin_client.post(f"{API}/actions/{action['id']}/cancel")
    assert finished.status_code == 409
    assert "already finished" in finished.json()["detail"]


@postgres
@pytest.mark.django_db
def test_a_queued_action_is_cancelled_through_the_api(admin_client):
    created = _post(admin_client, f"{API}/actions", {"kind": "analyze", "target": TARGET,
                                                     "statements": [f"ANALYZE {TARGET}"]})
    cancelled = admin_client.post(f"{API}/actions/{created.json()['id']}/cancel")
    assert cancelled.status_code == 202
    assert cancelled.json()["state"] == State.CANCELLED
    assert cancelled.json()["cancel_requested_by"] == "adam"
    assert worker.run_queued() == 0
    assert admin_client.post(f"{API}/actions/999999/cancel").status_code == 404
    assert admin_client.get(f"{API}/actions/999999").status_code == 404


@postgres
@pytest.mark.django_db
def test_bad_action_requests_are_refused_clearly(admin_client):
    for path in (f"{API}/actions/preview", f"{API}/actions"):
        invalid = _post(admin_client, path, {"kind": "shrink", "target": TARGET,
                                             "statements": ["SELECT 1"]})
        assert invalid.status_code == 400
        assert "kind" in invalid.json()

    missing = _post(admin_client, f"{API}/actions/preview",
                    {"kind": "vacuum", "target": "public.nope"})
    assert missing.status_code == 409
    assert missing.json()["detail"].startswith("There is no table public.nope")
    missing = _post(admin_client, f"{API}/actions", {"kind": "vacuum", "target": "public.nope",
                                                     "statements": ["VACUUM public.nope"]})
    assert missing.status_code == 409
    assert missing.json()["detail"].startswith("There is no table public.nope")

    tampered = _post(admin_client, f"{API}/actions", {
        "kind": "analyze", "target": TARGET,
        "statements": [f"ANALYZE {TARGET}; DROP TABLE {TARGET}"]})
    assert tampered.status_code == 409
    assert "The SQL has changed" in tampered.json()["detail"]

    empty = _post(admin_client, f"{API}/actions", {"kind": "analyze", "target": TARGET,
                                                   "statements": []})
    assert empty.status_code == 400
    assert not DatabaseAction.objects.exists()


# Pages (PostgreSQL) --------------------------------------------------------------------------


@postgres
@pytest.mark.django_db
def test_an_administrator_opens_the_console_and_confirms_an_action_by_its_sql(admin_client):
    assert admin_client.get("/database/").status_code == 200

    confirm = admin_client.get(f"/database/actions/confirm?kind=analyze&target={TARGET}")
    assert confirm.status_code == 200
    assert f"ANALYZE {TARGET}" in confirm.content.decode()

    refused = admin_client.get("/database/actions/confirm?kind=vacuum&target=public.nope")
    assert refused.status_code == 409
    assert "There is no table public.nope" in refused.content.decode()

    created = admin_client.post("/database/actions/", {
        "kind": "analyze", "target": TARGET, "column": "", "statement": f"ANALYZE {TARGET}"})
    action = DatabaseAction.objects.get()
    assert created.status_code == 302
    assert created["Location"] == f"/database/actions/{action.pk}/"
    page = admin_client.get(created["Location"])
    assert page.status_code == 200
    assert f"ANALYZE {TARGET}" in page.content.decode()


# SQLite --------------------------------------------------------------------------------------


class _InProcess:
    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, path: str) -> tuple[int, str]:
        response = self.client.get(path)
        return response.status_code, response.content.decode()

    def post(self, path: str, body: dict) -> tuple[int, str]:
        response = _post(self.client, path, body)
        return response.status_code, response.content.decode()


class _OverHttp:
    """The same questions to a real server process."""

    def __init__(self, base: str, cookie: str) -> None:
        self.base, self.cookie = base, cookie
        self.csrf = next(part.split("=", 1)[1] for part in cookie.split("; ")
                         if part.startswith("csrftoken="))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        request.add_header("Cookie", self.cookie)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, body: dict) -> tuple[int, str]:
        return self._open(urllib.request.Request(
            self.base + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf}))


@pytest.fixture
def sqlite_console(request, tmp_path):
    """Someone allowed to use the console, on an installation that runs on SQLite."""
    if connection.vendor == "sqlite":
        yield _InProcess(_signed_in(request.getfixturevalue("administrator")))
        return
    from tests.live import USERNAME, LiveSite, login_cookie

    site = LiveSite(tmp_path, sqlite=True)
    try:
        site.prepare(request.getfixturevalue("collected_static"))
        # The site's user reads the console (every view_ permission); it may also run actions.
        site.manage("shell", "-c", (
            "from django.contrib.auth.models import Permission, User\n"
            f"User.objects.get(username={USERNAME!r}).user_permissions.add("
            "Permission.objects.get(codename='add_databaseaction'))\n"))
        base = site.serve("--no-scheduler")
        yield _OverHttp(base, login_cookie(base))
    finally:
        site.stop()


@pytest.mark.django_db
def test_on_sqlite_the_console_says_it_needs_postgresql(sqlite_console):
    status, page = sqlite_console.get("/database/")
    assert status == 200
    assert "The database console needs PostgreSQL" in page
    assert "live.sqlite3" in page or "test.sqlite3" in page  # which file it runs on

    status, body = sqlite_console.get(f"{API}/")
    assert status == 200
    answer = json.loads(body)
    assert (answer["vendor"], answer["available"]) == ("sqlite", False)
    assert answer["detail"].startswith("The database console needs PostgreSQL")

    for path in STATISTICS_READS:
        status, body = sqlite_console.get(path)
        assert status == 409, path
        assert json.loads(body)["detail"] == answer["detail"], path

    status, body = sqlite_console.post(f"{API}/actions/preview",
                                       {"kind": "analyze", "target": TARGET})
    assert status == 409
    assert json.loads(body)["detail"] == answer["detail"]
    status, body = sqlite_console.post(f"{API}/actions", {
        "kind": "analyze", "target": TARGET, "statements": [f"ANALYZE {TARGET}"]})
    assert status == 409
    status, body = sqlite_console.get(f"{API}/actions")
    assert status == 200 and json.loads(body)["count"] == 0
