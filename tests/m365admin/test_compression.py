"""gzip on data answers only: JSON and CSV over 1 KB are compressed when the client accepts it,
streamed exports stay streamed, and no HTML page or script is ever compressed (BREACH)."""

from __future__ import annotations

import gzip
import http.client
import json
from datetime import UTC, datetime, timedelta

import pytest

from m365admin import views
from m365admin.models import DirectoryUser, SignIn
from tests.factories import make_rows, make_tenant
from tests.live import login_cookie

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def users():
    return make_rows(DirectoryUser, make_tenant(name="Contoso"), 30)


def test_a_large_api_answer_is_gzipped(signed_in, users):
    plain = signed_in.get("/api/v1/users/")
    packed = signed_in.get("/api/v1/users/", **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert int(packed["Content-Length"]) < len(plain.content) / 3
    assert json.loads(gzip.decompress(packed.content)) == plain.json()


def test_without_accept_encoding_nothing_is_gzipped(signed_in, users):
    response = signed_in.get("/api/v1/users/")
    assert not response.has_header("Content-Encoding")
    assert response.json()["count"] == 30


def test_a_small_answer_is_left_alone(signed_in):
    response = signed_in.get("/api/v1/users/", **GZIP)
    assert len(response.content) < 1024
    assert not response.has_header("Content-Encoding")


def test_the_schema_is_gzipped(signed_in):
    assert signed_in.get("/api/schema/", **GZIP)["Content-Encoding"] == "gzip"
    assert signed_in.get("/api/schema/", {"format": "yaml"}, **GZIP)["Content-Encoding"] == "gzip"


def test_the_csv_export_is_gzipped_and_still_streamed(signed_in):
    now = datetime.now(UTC)
    make_rows(SignIn, make_tenant(name="Contoso"), 500,
              created=lambda i: now - timedelta(seconds=i + 1))
    response = signed_in.get("/signins/export.csv", **GZIP)
    assert response.streaming
    assert response["Content-Encoding"] == "gzip"
    assert not response.has_header("Content-Length")
    chunks = list(response.streaming_content)
    assert len(chunks) > 1
    lines = gzip.decompress(b"".join(chunks)).decode("utf-8-sig").splitlines()
    assert len(lines) == 501
    assert lines[0].split(",") == list(views.SIGNIN_CSV_COLUMNS)


@pytest.mark.parametrize("page", ["/users/", "/signins/", "/api/schema/swagger/",
                                  "/api/schema/swagger/?script="])
def test_pages_and_scripts_are_never_gzipped(signed_in, users, page):
    response = signed_in.get(page, **GZIP)
    assert response.status_code == 200
    assert len(response.content) > 1024 or page.endswith("/swagger/")
    assert not response.has_header("Content-Encoding")


def test_over_http_the_export_arrives_gzipped_in_chunks(live_site):
    """Through daphne (the asynchronous path): chunked transfer, no length, gzip."""
    live_site.manage("shell", "-c", (
        "from datetime import UTC, datetime, timedelta\n"
        "from m365admin.models import SignIn\n"
        "from tests.factories import make_rows, make_tenant\n"
        "now = datetime.now(UTC)\n"
        "make_rows(SignIn, make_tenant(name='Contoso'), 3000,"
        " created=lambda i: now - timedelta(seconds=i + 1))\n"))
    base = live_site.serve("--no-scheduler")
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
    connection.request("GET", "/signins/export.csv", headers={
        "Cookie": login_cookie(base), "Accept-Encoding": "gzip"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    lines = gzip.decompress(response.read()).decode("utf-8-sig").splitlines()
    assert len(lines) == 3001
