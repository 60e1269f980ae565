"""The database console on a large sign-in table: how long its reads, its page and its
actions take.

Loads --rows sign-ins into a fresh PostgreSQL database exactly as bench/dashboard.py does (real
collectors for the directory, the collector's COPY for sign-ins, monthly partitions, VACUUM
ANALYZE), runs the explorer's queries so pg_stat_statements has statements to rank, then prints
p50/p95 (ms) over --runs runs of each console read (monitoring/dbconsole/insight.py,
server.py, and the what-to-fix summary of advice.py) and of
GET /database/ through Django's test Client (view, middleware, template; no HTTP server), and
the duration of three actions run by the worker as the scheduler would: ANALYZE and VACUUM
(ANALYZE) of the sign-in table, and CREATE INDEX CONCURRENTLY of a suggested index on every
partition (median of --action-runs).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m365admin_bench \\
        .venv/bin/python bench/database.py --rows 5000000 --runs 20

PostgreSQL must load pg_stat_statements (.ci/run sets it up). DATABASE_URL names the server:
each run makes a fresh database there and drops it.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime

import common
from dashboard import load_signins

WARM_UP = 2


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="sign-ins (50000; full: 5000000)")
    parser.add_argument("--runs", type=int, default=20, help=f"timed runs, after {WARM_UP} warm-up")
    parser.add_argument("--action-runs", type=int, default=3, help="runs of each action (3)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as state_dir, common.live_site():
        now = datetime.now(UTC)
        load_signins(state_dir, args.rows, tenants=2, users=2000, now=now)
        _record_statements()
        reads = _time_reads(args.runs)
        actions = _time_actions(args.action_runs)
    _report(args, reads, actions)


def _record_statements() -> None:
    """Statements for pg_stat_statements to rank, among them a filter no index leads."""
    from django.db import connection

    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute("SELECT count(*) FROM m365admin_signin WHERE app_display_name = %s",
                           ["Microsoft Teams"])
            cursor.execute("SELECT count(*) FROM m365admin_signin WHERE created > now() - "
                           "interval '1 day'")


def _time_reads(runs: int) -> dict[str, list[float]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from monitoring.dbconsole import advice, insight, server
    from tests.live import USERNAME

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=USERNAME))

    def page() -> None:
        response = client.get("/database/")
        assert response.status_code == 200, response.status_code

    cases = {
        "status": insight.status,
        "slow_queries (20)": lambda: insight.slow_queries(20),
        "tables": insight.tables,
        "indexes (unused, duplicate, invalid)": insight.indexes,
        "missing_indexes": insight.missing_indexes,
        "connections": insight.connections,
        "long_running": insight.long_running,
        "blocked": insight.blocked,
        "pool": insight.pool,
        "partition_tables": insight.partition_tables,
        "bloat (sign-ins, pgstattuple_approx)": lambda: insight.bloat("public.m365admin_signin"),
        "cache_hit_rates": server.cache_hit_rates,
        "sequences": server.sequences,
        "server_settings": server.server_settings,
        "replication": server.replication,
        "what to fix (advice.summary, every read)": advice.summary,
        "GET /database/": page,
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for run in range(WARM_UP + runs):
        for name, call in cases.items():
            started = time.perf_counter()
            call()
            if run >= WARM_UP:
                times[name].append(1000 * (time.perf_counter() - started))
    return times


def _time_actions(runs: int) -> dict[str, list[float]]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from monitoring.choices import DatabaseActionState
    from monitoring.dbconsole import actions, worker

    user = get_user_model().objects.first()
    suggested = {"kind": "create_index", "target": "public.m365admin_signin",
                 "column": "app_display_name"}
    cases = {
        "ANALYZE sign-ins": {"kind": "analyze", "target": "public.m365admin_signin"},
        "VACUUM (ANALYZE) sign-ins": {"kind": "vacuum", "target": "public.m365admin_signin"},
        "CREATE INDEX CONCURRENTLY, each partition": suggested,
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            plan = actions.plan(case["kind"], case["target"], case.get("column", ""))
            action = actions.request(case["kind"], case["target"], case.get("column", ""),
                                     plan.statements, user)
            worker.run_queued()
            action.refresh_from_db()
            assert action.state == DatabaseActionState.SUCCEEDED, action.result
            times[name].append(1000 * action.duration.total_seconds())
        with connection.cursor() as cursor:  # so the next run builds it again
            cursor.execute("DROP INDEX m365admin_signin_app_display_name_idx")
    return times


def _report(args, reads: dict[str, list[float]], actions: dict[str, list[float]]) -> None:
    print(f"database console: {args.rows:,} sign-ins; reads in ms over {args.runs} runs "
          f"(after {WARM_UP} warm-up)")
    print(common.table(["read", "p50", "p95"], [
        [name, f"{statistics.median(times):.1f}", f"{common.p95(times):.1f}"]
        for name, times in reads.items()]))
    print(f"actions run by the worker, median of {args.action_runs} (ms)")
    print(common.table(["action", "median"], [
        [name, f"{statistics.median(times):.0f}"] for name, times in actions.items()]))


if __name__ == "__main__":
    main()
