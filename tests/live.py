"""The app as separate OS processes (daphne, the scheduler) on their own database.

Used by the multi-process and browser tests: each `LiveSite` gets a fresh database (a new
PostgreSQL database when DATABASE_URL points at PostgreSQL, else an SQLite file), migrated by
a real `manage.py migrate`, with one user who may view the dashboard.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
USERNAME, PASSWORD = "live-viewer", "live-viewer-pw-123456"


def child_database_url() -> str:
    """The test's own database, for the processes a test starts (workers, collectors)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def collect_static(target: Path) -> Path:
    env = {**os.environ, "M365ADMIN_VAR_DIR": str(target.parent / "collect-var")}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT,
        env={**env, "DATABASE_URL": "sqlite:///:memory:"}, check=True, timeout=300,
    )
    return target.parent / "collect-var" / "static"


class LiveSite:
    def __init__(self, var_dir: Path, *, sqlite: bool = False, **env: str) -> None:
        """`sqlite=True`: an SQLite file even when DATABASE_URL points at PostgreSQL (the
        degraded installation, tested in CI where the suite itself runs on PostgreSQL)."""
        self.var_dir = var_dir
        self.env = {**os.environ, "M365ADMIN_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1", **env}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self._database_name = None
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgres") and not sqlite:
            self._database_name = f"m365admin_live_{uuid.uuid4().hex[:10]}"
            # The maintenance database: the one DATABASE_URL names may not exist (pytest uses test_…).
            self._admin_url = url.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self._database_name}"')
            self.env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + self._database_name
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{var_dir / 'live.sqlite3'}"
        self.processes: list[subprocess.Popen] = []

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=timeout,
        )
        if result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def prepare(self, static_root: Path) -> None:
        # Collected once per session (plotly.js takes seconds to compress), shared by sites.
        (self.var_dir / "static").symlink_to(static_root, target_is_directory=True)
        self.manage("migrate", "--no-input", "-v0")
        self.manage("shell", "-c", (
            "from django.contrib.auth.models import Permission, User\n"
            f"u = User.objects.create_user({USERNAME!r}, password={PASSWORD!r})\n"
            "u.user_permissions.set(Permission.objects.filter("
            "codename__startswith='view_', content_type__app_label__in=['m365admin', 'monitoring']))\n"
        ))

    def start(self, *args: str, log: str) -> subprocess.Popen:
        handle = open(self.var_dir / log, "w")  # noqa: SIM115 — the child owns it
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes.append(process)
        return process

    def serve(self, *extra: str, port: int | None = None) -> str:
        """Start a daphne process (on a free port unless given); returns its base URL once
        /healthz answers."""
        port = port or free_port()
        log = f"serve-{port}-{time.monotonic_ns()}.log"
        process = self.start("serve", "--port", str(port), *extra, log=log)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"serve exited:\n{self.log(log)}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"serve did not answer:\n{self.log(log)}")

    def query(self, sql: str) -> list[tuple]:
        """Rows from the site's own database (it is not the test database)."""
        url = self.env["DATABASE_URL"]
        if url.startswith("postgres"):
            with psycopg.connect(url) as conn:
                return conn.execute(sql).fetchall()
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql).fetchall()

    def log(self, name: str) -> str:
        return (self.var_dir / name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self.stop_processes()
        if self._database_name:
            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')

    def stop_processes(self) -> None:
        """SIGTERM every process started here (SIGKILL after 15 s); the database stays."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def login_cookie(base: str) -> str:
    """A signed-in session cookie header for USERNAME, through the real login form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(base + "/accounts/login/", data=data, headers={"Referer": base})
    opener.open(request)
    return "; ".join(f"{c.name}={c.value}" for c in jar)



class Topology:
    """`manage.py serve --production` on a LiveSite (stopped with it), its output kept line
    by line with the time each line arrived."""

    def __init__(self, site: LiveSite, *, workers: int = 2) -> None:
        self.site = site
        self.port, self.http_port = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--production", "--workers", str(workers),
             "--port", str(self.port), "--http-port", str(self.http_port)],
            cwd=ROOT, env=site.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", start_new_session=True,
        )
        site.processes.append(self.process)
        self.lines: list[tuple[float, str]] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(lambda line: line.startswith("supervisor") and line.endswith("| ready"),
                      timeout=90)

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._arrived:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._arrived.notify_all()

    def wait_for(self, matches, *, timeout: float, after: float = 0.0) -> tuple[float, str]:
        """The first line arrived after `after` (a time.monotonic()) that `matches`: its
        arrival time and text."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for arrived, line in self.lines:
                    if arrived >= after and matches(line):
                        return arrived, line
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no such line within {timeout} s; output:\n"
                                         + "\n".join(text for _, text in self.lines[-40:]))
                self._arrived.wait(min(left, 0.5))

    def pids(self) -> dict[str, int]:
        """The latest pid of each supervised program, by name."""
        found = {}
        for _, line in self.lines:
            match = re.match(r"supervisor\s+\| (\S+) started pid=(\d+)$", line)
            if match:
                found[match.group(1)] = int(match.group(2))
        return found
