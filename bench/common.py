"""What the benchmarks share: the database, the app's processes, simulated tenants, figures.

Importing this module puts the repository root on sys.path, so a benchmark run as
`python bench/<name>.py` can import the apps and tests/live.py.
"""

from __future__ import annotations

import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# Database and Django -----------------------------------------------------------------------


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"{Path(sys.argv[0]).name} measures PostgreSQL: set DATABASE_URL=postgres://…")
    return url


def create_database(url: str) -> None:
    """Create the database named in url if it does not exist."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "m365admin.settings")
    import django

    django.setup()


@contextmanager
def live_site(*, keep: bool = False, **env: str) -> Iterator:
    """A fresh, migrated PostgreSQL database with one dashboard viewer (tests/live.LiveSite),
    this process set up on it, and every process started through the site stopped and the
    database dropped at the end (`keep`: left, for `kept_database`)."""
    from tests.live import LiveSite, collect_static

    postgres_url()  # LiveSite creates a fresh database on the same server
    with tempfile.TemporaryDirectory() as scratch:
        site = LiveSite(Path(scratch) / "var", **env)
        ready = False
        try:
            site.var_dir.mkdir()
            site.prepare(collect_static(Path(scratch) / "static"))
            # Same database, var/ (secret key: the session cookie works everywhere) and Redis.
            os.environ.update(site.env)
            setup_django()
            ready = True
            _clear_redis()
            yield site
        finally:
            if ready:
                _clear_redis()
                _close_pools()
            if keep:
                site.stop_processes()
                print(f"database kept: {site.env['DATABASE_URL'].rsplit('/', 1)[1]}")
            else:
                site.stop()


@contextmanager
def kept_database(name: str) -> Iterator[None]:
    """This process set up on a database an earlier run kept (or left when killed), on the
    server DATABASE_URL names, with static files collected afresh; nothing is dropped."""
    from tests.live import collect_static

    server = postgres_url().rsplit("/", 1)[0]
    with tempfile.TemporaryDirectory() as scratch:
        static_root = collect_static(Path(scratch) / "static")
        os.environ.update(DATABASE_URL=f"{server}/{name}", M365ADMIN_VAR_DIR=str(static_root.parent))
        setup_django()
        _clear_redis()
        try:
            yield
        finally:
            _clear_redis()
            _close_pools()


def _clear_redis() -> None:
    """The app's keys in the benchmark's own Redis database (REDIS_URL), from an earlier run
    or this one: group members left behind would receive ticks too."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    for prefix in {settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
                   settings.CACHES["default"]["KEY_PREFIX"]}:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def _close_pools() -> None:
    from django.db import connections

    for connection in connections.all():
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()  # before DROP DATABASE … FORCE cuts its connections


def start_server(site, command: Callable[[int], list[str]], log: str) -> int:
    """A server process of the site's (stopped with it): `command(port)` is its argv. Returns
    the port once it accepts connections."""
    import socket

    from tests.live import free_port

    port = free_port()
    process = subprocess.Popen(
        command(port), cwd=ROOT, env=site.env, stdout=subprocess.DEVNULL,
        stderr=open(site.var_dir / log, "w"),  # noqa: SIM115 — the child owns it
        start_new_session=True,
    )
    site.processes.append(process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{command(port)[0]} did not start:\n{site.log(log)}")


# Simulated tenants ---------------------------------------------------------------------------


def tenant_spec(seed: int) -> dict[str, str]:
    """Ids and secret of a simulated tenant, fixed per seed."""
    return {"tenant_id": str(uuid.UUID(int=0xBE7C4 + seed)),
            "client_id": str(uuid.UUID(int=0xC11E + seed)), "client_secret": "bench-secret"}


def start_simulator(state_dir: str, tenant: dict[str, str], *, users: int, signins: int,
                    days: int = 29, seed: int = 1) -> tuple[subprocess.Popen, str]:
    """`manage.py simulate` in its own process, as Graph is; returns it and its base URL.
    Its certificate is `state_dir`/cert.pem."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "simulate", "--port", "0", "--state-dir", state_dir,
         "--users", str(users), "--signins", str(signins), "--days", str(days),
         "--seed", str(seed), "--tenant-id", tenant["tenant_id"],
         "--client-id", tenant["client_id"], "--client-secret", tenant["client_secret"]],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    first = process.stdout.readline()
    if "Graph simulator on " not in first:
        process.terminate()
        sys.exit(f"the simulator did not start: {first!r}")
    return process, first.split("Graph simulator on ", 1)[1].strip()


@contextmanager
def simulated_tenant(state_dir: str, *, seed: int, users: int, signins: int,
                     collectors: Sequence[str] | None = None) -> Iterator:
    """A Tenant synced by the real collectors from a simulator process, which keeps serving
    (for the health checks' probes) until the block ends."""
    from django.conf import settings

    from collectors.sync.runner import run_collector
    from m365admin.choices import Collector, SyncStatus
    from m365admin.models import Tenant

    logging.getLogger("collectors.sync").setLevel(logging.WARNING)  # a line per page otherwise
    spec = tenant_spec(seed)
    process, base_url = start_simulator(state_dir, spec, users=users, signins=signins, seed=seed)
    try:
        settings.GRAPH_CA_BUNDLE = str(Path(state_dir) / "cert.pem")
        tenant = Tenant(name=f"Bench {seed}", tenant_id=spec["tenant_id"],
                        client_id=spec["client_id"], authority_url=base_url, graph_url=base_url)
        tenant.set_client_secret(spec["client_secret"])
        tenant.save()
        for collector in collectors if collectors is not None else Collector.values:
            run = run_collector(tenant, collector)
            if run.status not in (SyncStatus.SUCCEEDED, SyncStatus.SKIPPED):
                sys.exit(f"sync {collector} of {tenant.name} failed: {run.error}")
        yield tenant
    finally:
        process.terminate()
        process.wait()


# The busiest routes of a web process (the tick lists the top ten of the last interval).
ROUTES = (
    "api/v1/signins/", "dashboard/", "signins/", "api/v1/metrics/monitoring", "users/",
    "api/v1/metrics/performance", "api/v1/users/", "mailboxes/", "api/v1/metrics/history",
    "healthz", "readyz", "admin/",
)


def seed_history() -> None:
    """The last hour as a running system has it: a metric sample and requests on a dozen
    routes per interval, so ticks and snapshots carry and read what they would in production."""
    from datetime import UTC, datetime

    from django.conf import settings

    from monitoring import requeststats, sampler

    interval = settings.MONITORING_INTERVAL
    now = time.time()
    reading = sampler.Sampler().sample()
    latency = random.Random(1)
    for step in range(int(3600 / interval), 0, -1):
        moment = now - step * interval
        reading.pk, reading.created = None, datetime.fromtimestamp(moment, UTC)
        sampler.store(reading)
        for rank, route in enumerate(ROUTES):
            for _ in range(60 // (rank + 1)):
                requeststats.aggregator.add(route, latency.lognormvariate(2.5, 0.8),
                                            error=latency.random() < 0.01, now=moment)
    requeststats.aggregator.flush()


# Figures ---------------------------------------------------------------------------------


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in cells
    )


def raise_fd_limit(needed: int) -> None:
    """Each websocket is a file descriptor here and in daphne (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    if hard < needed:
        sys.exit(f"the open-files limit is {hard}; {needed} needed (ulimit -Hn)")
