"""schemathesis over the whole OpenAPI schema, against a live server, once per role.

Every operation gets a bounded number of generated requests (examples, boundary values and
random ones) as a Viewer, an Operator and an Administrator: no answer may be a server error
or differ from what the schema says (status, content type, headers, body). The schema has no
links between operations, so there is no stateful phase to run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import served_site

# Per operation and phase: about 1,900 requests per role; the three runs take about two
# minutes together on two shared cores.
MAX_EXAMPLES = 5
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")
PASSWORD = "fuzz-pw-0123456789"
ROLES = ("viewer", "operator", "administrator")

# A tenant with a few rows of each kind, an alert, and one user per role.
_SEED = f"""
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from m365admin.models import DirectoryUser, Mailbox, SignIn, SyncRun, Team
from security import roles
from tests.factories import make_alert, make_rows, make_tenant
for role in {ROLES!r}:
    roles.assign(User.objects.create_user(role, password={PASSWORD!r}), role.capitalize())
tenant = make_tenant(name="Fuzz")
now = timezone.now()
for model in (DirectoryUser, Mailbox, SyncRun, Team):
    make_rows(model, tenant, 3)
make_rows(SignIn, tenant, 5, created=lambda i: now - timedelta(minutes=i))
make_alert()
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "fuzz-site", _SEED,
                     OTP_REQUIRED_FOR_ADMINISTRATORS="False", RATELIMIT_USER="100000/m",
                     RATELIMIT_IP="100000/m", MONITORING_INTERVAL="5") as site:
        yield site


def _token(base: str, username: str) -> str:
    request = urllib.request.Request(
        base + "/api/v1/auth/token", method="POST",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access"]


def _schema(base: str, token: str, target: Path) -> Path:
    request = urllib.request.Request(base + "/api/schema/",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        target.write_bytes(response.read())
    return target


@pytest.fixture(scope="module")
def runs(site, tmp_path_factory) -> dict[str, subprocess.Popen]:
    """The three roles' runs, started together (each mostly waits on the server)."""
    started = {}
    for role in ROLES:
        folder = tmp_path_factory.mktemp(f"fuzz-{role}")
        token = _token(site.url, role)
        schema = _schema(site.url, token, folder / "schema.json")
        started[role] = subprocess.Popen(
            [Path(sys.executable).with_name("schemathesis"), "run", str(schema),
             "--url", site.url, "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
             "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES),
             "--seed", "17", "--workers", "1", "--no-color", "--generation-database", "none",
             "--suppress-health-check", "all"],
            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_errs_or_breaks_the_schema(runs, role):
    output, _ = runs[role].communicate(timeout=600)
    assert runs[role].returncode == 0, output[-8000:]
    assert " passed" in output and "Failures" not in output
