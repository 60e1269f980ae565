"""manage.py serve (and demo) refuse a port in use in one line, before doing anything else;
what serve runs beside its server (its own API check, the request statistics' flusher)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.live import ROOT


@pytest.fixture
def busy_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_port_in_use_is_refused_in_one_line(busy_port):
    with pytest.raises(CommandError) as error:
        call_command("serve", port=busy_port)
    assert str(error.value) == (
        f"cannot listen on 127.0.0.1:{busy_port} (Address already in use): "
        "stop what uses it or pass --port"
    )


def test_the_demo_refusal_says_how_to_pick_a_port_with_make_run(busy_port):
    with pytest.raises(CommandError) as error:
        call_command("demo", port=busy_port)
    assert str(error.value) == (
        f"cannot listen on 127.0.0.1:{busy_port} (Address already in use): "
        f"stop what uses it or use `make run PORT={busy_port + 1}` (or --port)"
    )


@pytest.mark.parametrize("arguments, port", [([], "8000"), (["PORT=8010"], "8010")])
def test_make_run_passes_its_port_to_the_demo(arguments, port):
    # --dry-run prints the recipe without installing or serving anything.
    # --no-print-directory: under `make test` the inner make would add "Leaving directory".
    done = subprocess.run(["make", "--no-print-directory", "--dry-run", "run", *arguments],
                          cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout.splitlines()[-1].endswith(f"manage.py demo --port {port}")

# serve --production: each missing piece is one line on stderr, before anything starts.


def production(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    environment |= {"M365ADMIN_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "manage.py", "serve", "--production", *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_sqlite_in_one_line(tmp_path):
    result = production(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 1
    assert result.stderr == (
        "CommandError: serve --production needs PostgreSQL: set DATABASE_URL=postgres://…\n")


def test_production_refuses_no_redis_in_one_line(tmp_path):
    # Nothing listens there: the command must refuse before connecting to anything.
    result = production(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none")
    assert result.returncode == 1
    assert result.stderr == (
        "CommandError: serve --production needs Redis: set REDIS_URL=redis://…\n")


def test_production_refuses_missing_static_files(tmp_path):
    result = production(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
                        REDIS_URL="redis://127.0.0.1:9/0")
    assert result.returncode == 1
    assert result.stderr == (
        f"CommandError: no static files in {tmp_path / 'static'}: "
        "run manage.py collectstatic --no-input first\n")


@pytest.mark.parametrize(("args", "error"), [
    (["--cert", "cert.pem"], "--cert and --key go together"),
    (["--cert", "/nonexistent/cert.pem", "--key", "/nonexistent/key.pem"],
     "no such file: /nonexistent/cert.pem"),
    (["--workers", "0"], "--workers must be at least 1"),
])
def test_production_refuses_bad_options_in_one_line(tmp_path, args, error):
    result = production(tmp_path, *args)
    assert result.returncode == 1
    assert result.stderr == f"CommandError: {error}\n"


def test_serve_starts_again_at_once_on_its_port_after_a_stop_with_a_client_connected(live_site):
    import http.client

    from tests.live import free_port

    port = free_port()
    live_site.serve("--no-scheduler", port=port)
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    client.request("GET", "/healthz")  # a keep-alive connection the server closes on stop
    assert client.getresponse().read() == b"ok"
    live_site.stop_processes()  # the server's side of the connection now lingers in TIME-WAIT
    assert live_site.serve("--no-scheduler", port=port) == f"http://127.0.0.1:{port}"
    client.close()


def _wait_for_rows(site, sql: str, what: str, timeout: float = 30) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rows := site.query(sql):
            return rows
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_with_its_scheduler_checks_the_api_on_its_own_port(live_site):
    """Not HEALTH_API_URL's default (port 8000, where nothing listens here)."""
    live_site.env["MONITORING_INTERVAL"] = "1"
    live_site.env.pop("HEALTH_API_URL", None)
    base = live_site.serve()
    # A tick before the server listened may have found it down; the next ones answer.
    ((details,),) = _wait_for_rows(
        live_site, "SELECT details FROM monitoring_componenthealth "
                   "WHERE component = 'api' AND status <> 'down'", "the API check to answer")
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["url"] == f"{base}/healthz"


def test_serve_without_a_scheduler_still_writes_its_request_statistics(live_site):
    """The flusher serve starts beside its server (no tick flushes this process's figures)."""
    live_site.env["MONITORING_INTERVAL"] = "1"
    base = live_site.serve("--no-scheduler")
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert response.status == 200
    rows = _wait_for_rows(live_site, "SELECT count FROM monitoring_requeststat", "a flush")
    assert sum(count for (count,) in rows) >= 1
