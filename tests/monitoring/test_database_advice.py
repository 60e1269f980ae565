"""What to fix (monitoring.dbconsole.advice) and the server-wide reads behind it
(monitoring.dbconsole.server), each against a condition planted on the real PostgreSQL: a table
scanned sequentially (and then through its new index), statements filtering on several
columns, a table read through the buffer cache and one too big for it, sequences near their
end, settings as PostgreSQL reports them, a streaming replica, a blocked query.

The planted conditions are committed by other sessions, so most tests are transactional."""

from __future__ import annotations

import json
import struct

import pytest
from django.db import connection
from django.test import Client

from monitoring.choices import DatabaseActionKind as Kind
from monitoring.dbconsole import actions, advice, insight, predicates, server
from tests.monitoring.conftest import wait_for

pytestmark = pytest.mark.postgres
API = "/api/v1/database"


def _scan(sessions, table: str, times: int, sql: str = "SELECT count(*) FROM {} WHERE tenant = %s"):
    conn = sessions.connect()
    for number in range(times):
        conn.execute(sql.format(table), [number % 50])
    sessions.flushed(conn)


def _findings(kind: str, subject: str) -> list[dict]:
    return [finding for finding in advice.summary()["findings"]
            if finding["kind"] == kind and finding["subject"] == subject]


def _scanned_table(sessions, name: str = "dbc_seq") -> str:
    return sessions.table(
        name, "(id bigint, tenant int, created timestamptz, note text)",
        f"INSERT INTO {name} SELECT n, n % 50, now() - n * interval '1 minute', 'x' "
        "FROM generate_series(1, 20000) n",
        f"ANALYZE {name}")


# Sequential scans ----------------------------------------------------------------------------


def test_three_sequential_scans_flag_nothing_fifty_do_and_a_reset_forgets_them(sessions):
    table = _scanned_table(sessions)
    _scan(sessions, "dbc_seq", 3)
    assert table not in {row["name"] for row in insight.sequential_scans()}
    assert not _findings("sequential_scan", table)

    _scan(sessions, "dbc_seq", 47)  # 50 in all: DB_CONSOLE_SEQ_SCAN_MIN_SCANS by default
    flagged = {row["name"]: row for row in insight.sequential_scans()}
    assert flagged[table]["seq_scan"] == 50
    [finding] = _findings("sequential_scan", table)
    assert finding["severity"] == "warning"
    assert "50 sequential scans" in finding["reason"]
    assert finding["action"] == {"kind": Kind.CREATE_INDEX, "target": table, "column": "tenant"}

    # The counters run from the last reset, which the console shows.
    before = insight.status()["stats_reset"]
    sessions.connect().execute("SELECT pg_stat_reset()")
    after = wait_for(lambda: insight.status()["stats_reset"], what="the reset time")
    assert before is None or after > before
    assert table not in {row["name"] for row in insight.sequential_scans()}
    assert advice.summary()["stats_reset"] == after


def test_once_its_index_serves_the_reads_a_table_is_no_longer_flagged(sessions):
    table = _scanned_table(sessions, "dbc_served")
    _scan(sessions, "dbc_served", 50)
    assert _findings("sequential_scan", table)

    conn = sessions.connect()
    conn.execute("CREATE INDEX dbc_served_tenant ON dbc_served (tenant)")
    _scan(sessions, "dbc_served", 60)  # through the index now
    row = next(row for row in insight.tables() if row["name"] == table)
    assert row["idx_scan"] >= 60 and row["seq_scan_percent"] < 50
    assert table not in {row["name"] for row in insight.sequential_scans()}
    assert not _findings("sequential_scan", table)


# Multi-column suggestions --------------------------------------------------------------------


def test_the_parser_reads_equalities_then_one_range_under_and_only():
    [where] = predicates.filters(
        "SELECT * FROM public.events e WHERE $1 < e.created AND e.tenant_id = $2 "
        "AND kind IN ($3, $4) AND (a = $5 OR b = $6)")
    assert (where.schema, where.table) == ("public", "events")
    assert where.equality == ("tenant_id", "kind")
    assert where.range == ("created",)
    assert where.index_columns == ("tenant_id", "kind", "created")

    joined = predicates.filters(
        'SELECT * FROM "orders" o JOIN customers c ON c.id = o.customer_id '
        "WHERE o.status = ANY($1) AND c.region = $2 AND o.placed BETWEEN $3 AND $4 "
        "AND total > 10")  # unqualified with two tables: not certain whose, left out
    by_table = {where.table: where.index_columns for where in joined}
    assert by_table == {"orders": ("status", "placed"), "customers": ("region",)}

    assert predicates.filters("UPDATE t SET a = $1 WHERE id = $2")[0].equality == ("id",)
    assert predicates.filters("DELETE FROM t WHERE created < $1")[0].range == ("created",)
    assert predicates.filters("SELECT * FROM t WHERE a = b") == ()  # no value to look up
    assert predicates.filters("SELECT * FROM t WHERE lower(a) = $1") == ()
    assert predicates.filters("SELECT a, b FROM t WHERE a = $1 AND b = ") == ()  # truncated


def test_statements_filtering_on_two_columns_get_a_two_column_index_suggested(sessions):
    table = _scanned_table(sessions, "dbc_multi")
    conn = sessions.connect()
    for number in range(50):
        conn.execute("SELECT id FROM dbc_multi AS m WHERE m.created > %s AND m.tenant = %s",
                     ["2020-01-01", number % 50])
    sessions.flushed(conn)

    [suggestion] = [row for row in insight.missing_indexes() if row["table"] == table]
    assert suggestion["columns"] == ["tenant", "created"]  # the equality first
    assert suggestion["column"] == "tenant,created"
    assert suggestion["calls"] == 50
    # An index on tenant alone does not serve the range after it.
    conn.execute("CREATE INDEX dbc_multi_tenant ON dbc_multi (tenant)")
    [suggestion] = [row for row in insight.missing_indexes() if row["table"] == table]
    assert suggestion["columns"] == ["tenant", "created"]

    plan = actions.plan(Kind.CREATE_INDEX, table, suggestion["column"])
    assert plan.statements == ["CREATE INDEX CONCURRENTLY dbc_multi_tenant_created_idx "
                               "ON public.dbc_multi (tenant, created)"]
    conn.execute(plan.statements[0])
    assert not [row for row in insight.missing_indexes() if row["table"] == table]


@pytest.mark.django_db
def test_the_create_index_action_refuses_a_bad_column_list():
    for column, message in (("", "Name the columns"), ("tenant_id,,id", "Name the columns"),
                            ("tenant_id,tenant_id", "Name the columns"),
                            ("tenant_id,nowhere", "has no column nowhere")):
        with pytest.raises(actions.Refused, match=message):
            actions.plan(Kind.CREATE_INDEX, "public.m365admin_directoryuser", column)


# Cache hit rate ------------------------------------------------------------------------------


def test_a_table_read_through_the_cache_hits_and_one_bigger_than_the_cache_misses(sessions):
    small = sessions.table("dbc_cached", "(id int, pad text)",
                           "INSERT INTO dbc_cached SELECT n, repeat('x', 200) "
                           "FROM generate_series(1, 20000) n")
    conn = sessions.connect()
    # Counted from here: writing the rows in counts each new page as read.
    conn.execute("SELECT pg_stat_reset_single_table_counters('dbc_cached'::regclass)")
    for _ in range(3):
        sessions.flushed(conn, "SELECT count(*) FROM dbc_cached")
    # A sequential scan of a table over a quarter of shared_buffers reads through a small ring
    # of buffers, so it misses the cache on almost every page.
    shared = conn.execute("SELECT pg_size_bytes(current_setting('shared_buffers'))").fetchone()[0]
    rows = int(shared * 0.4 / 250)
    big = sessions.table("dbc_uncached", f"AS SELECT n AS id, repeat('x', 200) AS pad "
                                         f"FROM generate_series(1, {rows}) n")
    sessions.flushed(conn, "SELECT count(*) FROM dbc_uncached")

    rates = server.cache_hit_rates()
    by_table = {row["name"]: row for row in rates["low_tables"]}
    assert big in by_table and by_table[big]["table_percent"] < 90
    assert small not in by_table  # found in the cache
    cached = insight.rows("SELECT heap_blks_hit, heap_blks_read FROM pg_statio_user_tables "
                          "WHERE relname = 'dbc_cached'")[0]
    assert cached["heap_blks_hit"] > 3 * cached["heap_blks_read"]
    assert 0 < rates["table_percent"] < 100


def test_cache_advice_names_the_part_missing_and_stays_quiet_without_enough_reads():
    low = server.cache_advice({"table_hit": 900, "table_read": 100, "index_hit": 10,
                               "index_read": 0})
    assert "Tables are found in the buffer cache 90.0 %" in low and "shared_buffers" in low
    assert server.cache_advice({"table_hit": 9, "table_read": 90, "index_hit": 0,
                                "index_read": 0}) == ""  # 99 blocks: too few to tell
    assert server.cache_advice({"table_hit": 99_900, "table_read": 100, "index_hit": 5000,
                                "index_read": 1}) == ""


# Sequences -----------------------------------------------------------------------------------


def test_sequences_near_their_end_are_found_by_the_column_types_limit(sessions):
    sessions.table("dbc_ident", "(id int GENERATED ALWAYS AS IDENTITY, x int)")
    sessions.table("dbc_wide", "(id int)")
    conn = sessions.connect()
    try:
        conn.execute("CREATE SEQUENCE dbc_small_seq AS smallint")
        conn.execute("SELECT setval('dbc_small_seq', 30000)")
        conn.execute("SELECT setval(pg_get_serial_sequence('dbc_ident', 'id'), 1900000000)")
        # A bigint sequence feeding an integer column ends where the column does.
        conn.execute("CREATE SEQUENCE dbc_wide_seq AS bigint OWNED BY dbc_wide.id")
        conn.execute("SELECT setval('dbc_wide_seq', 2000000000)")
        found = {row["name"]: row for row in server.sequences()}
        assert found["public.dbc_small_seq"]["percent"] == round(100 * 30000 / 32767, 2)
        assert found["public.dbc_small_seq"]["severity"] == "critical"
        ident = found["public.dbc_ident_id_seq"]
        assert (ident["table"], ident["column"], ident["column_type"]) == (
            "public.dbc_ident", "id", "integer")
        assert ident["percent"] == round(100 * 1900000000 / 2147483647, 2)
        assert ident["severity"] == "warning"
        wide = found["public.dbc_wide_seq"]
        assert wide["limit_value"] == 2147483647 and wide["severity"] == "critical"
        assert found["public.auth_user_id_seq"]["severity"] == ""

        [finding] = _findings("sequence", "public.dbc_ident_id_seq")
        assert finding["severity"] == "warning"
        assert "public.dbc_ident.id to bigint" in finding["fix"]
        assert finding["link"].endswith("/database/#sequences")
    finally:
        conn.execute("DROP SEQUENCE IF EXISTS dbc_small_seq")


# Settings ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_settings_are_reported_as_postgresql_reports_them(settings):
    settings.DB_CONSOLE_SERVER_MEMORY_MB = 16 * 1024
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '64kB'")
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    read = server.server_settings()
    by_name = {row["name"]: row for row in read["settings"]}
    assert set(server.IMPORTANT_SETTINGS) == set(by_name)
    assert (by_name["work_mem"]["value"], by_name["work_mem"]["bytes"]) == ("64kB", 65536)
    assert by_name["autovacuum"]["value"] == autovacuum
    assert (by_name["autovacuum"]["severity"] == "critical") == (autovacuum == "off")
    assert read["memory_bytes"] == 16 * 1024**3
    assert read["connections"] >= 1


def test_settings_advice_is_relative_to_the_servers_memory():
    gigabyte = 1024**3
    usage = {"connections": 10, "temp_files": 0}
    values = {"shared_buffers": 128 * 1024**2, "effective_cache_size": 12 * gigabyte,
              "work_mem": 4 * 1024**2, "maintenance_work_mem": 64 * 1024**2,
              "max_connections": "100", "autovacuum": "on"}
    advice_16 = server.settings_advice(values, usage, 16 * gigabyte)
    assert advice_16["shared_buffers"][0] == "warning"
    assert "4096 MB" in advice_16["shared_buffers"][1]  # a quarter of 16 GB
    assert "effective_cache_size" not in advice_16  # 75 % already
    assert "819 MB" in advice_16["maintenance_work_mem"][1]  # 5 % of 16 GB
    assert "work_mem" not in advice_16 and "autovacuum" not in advice_16

    tuned = {**values, "shared_buffers": 4 * gigabyte, "maintenance_work_mem": gigabyte}
    assert server.settings_advice(tuned, usage, 16 * gigabyte) == {}
    # Each connection may sort with work_mem: together more than the memory.
    assert server.settings_advice({**tuned, "work_mem": 256 * 1024**2}, usage,
                                  16 * gigabyte)["work_mem"][0] == "warning"
    assert server.settings_advice(tuned, {**usage, "temp_files": 12},
                                  16 * gigabyte)["work_mem"][0] == "info"
    assert server.settings_advice(tuned, {**usage, "connections": 85},
                                  16 * gigabyte)["max_connections"][0] == "warning"
    assert server.settings_advice({**tuned, "autovacuum": "off"}, usage,
                                  16 * gigabyte)["autovacuum"][0] == "critical"
    # Memory unknown: only what holds on any machine.
    unknown = server.settings_advice(values, usage, None)
    assert list(unknown) == ["shared_buffers"] and unknown["shared_buffers"][0] == "info"


@pytest.mark.django_db
def test_the_servers_memory_is_this_machines_when_the_database_is_local(settings):
    import os

    settings.DB_CONSOLE_SERVER_MEMORY_MB = 0
    assert connection.settings_dict["HOST"] in ("127.0.0.1", "localhost", "")
    assert server.server_memory() == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


# Replication ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_replica_replication_says_so():
    state = server.replication()
    assert state == {"is_replica": False, "replay_delay_seconds": None, "replicas": [],
                     "summary": "No replicas."}


def test_a_streaming_replica_is_listed_with_how_far_behind_it_replays(sessions):
    # A standby as PostgreSQL sees one: a walsender streaming WAL to a client that reports
    # having replayed only up to where it started.
    replica = sessions.connect("dbc-replica", replication="database")
    start = replica.pgconn.exec_(b"IDENTIFY_SYSTEM").get_value(0, 2).decode()
    replica.pgconn.exec_(f"START_REPLICATION PHYSICAL {start}".encode())
    high, low = (int(part, 16) for part in start.split("/"))
    position = (high << 32) | low
    replica.pgconn.put_copy_data(b"r" + struct.pack("!QQQqB", *[position] * 3, 0, 0))
    replica.pgconn.flush()
    sessions.table("dbc_wal", "(pad text)",
                   "INSERT INTO dbc_wal SELECT repeat('x', 1000) FROM generate_series(1, 2000)")

    def streaming():
        found = [row for row in server.replication()["replicas"]
                 if row["application_name"] == "dbc-replica"]
        return found if found and found[0]["lag_bytes"] else None

    [row] = wait_for(streaming, what="the replica to stream")
    assert row["state"] == "streaming"
    assert row["lag_bytes"] >= 2000 * 1000  # the WAL of the rows inserted since
    assert server.replication()["summary"] == ""
    # Past the threshold it becomes a finding.
    found = advice.findings(status=None, tables=[], indexes={"invalid": [], "duplicate": [],
                                                             "unused": []},
                            suggested=[], long_running=[], blocked=[], cache=None,
                            sequences=[], settings=None, partitions=[],
                            replication={"is_replica": False, "replicas": [
                                {**row, "lag_bytes": 2 * 1024**3}]})
    assert [finding["kind"] for finding in found] == ["replication"]
    assert "dbc-replica" in found[0]["reason"]
    replica.close()
    wait_for(lambda: not server.replication()["replicas"], what="the replica to go")


# What to fix ---------------------------------------------------------------------------------


def test_a_blocked_query_is_the_first_thing_to_fix_with_the_blocker_to_end(sessions, in_thread):
    sessions.table("dbc_jam", "(id int)", "INSERT INTO dbc_jam VALUES (1)")
    holder = sessions.connect("dbc-holder")
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE dbc_jam IN ACCESS EXCLUSIVE MODE")
    holder_pid = holder.info.backend_pid
    in_thread(sessions.connect("dbc-waiter").execute, "SELECT * FROM dbc_jam")
    wait_for(insight.blocked, what="the waiter to block")

    summary = advice.summary()
    blocked = [finding for finding in summary["findings"] if finding["kind"] == "blocked"]
    assert blocked[0]["subject"] == str(holder_pid)
    assert blocked[0]["severity"] == "critical"
    assert "blocks 1 waiting statements" in blocked[0]["reason"]
    assert blocked[0]["action"] == {"kind": Kind.TERMINATE_BACKEND, "target": str(holder_pid),
                                    "column": ""}
    severities = [advice.SEVERITIES.index(finding["severity"])
                  for finding in summary["findings"]]
    assert severities == sorted(severities)  # ranked
    assert len(summary["findings"]) <= advice.LIMIT
    holder.execute("ROLLBACK")


def test_the_short_list_keeps_a_few_of_each_kind():
    listed = [{"kind": "duplicate_index", "severity": "warning"}] * 30 + [
        {"kind": "unused_index", "severity": "info"}] * 3
    short = advice.shortlist(listed)
    assert [finding["kind"] for finding in short] == ["duplicate_index"] * advice.PER_KIND + [
        "unused_index"] * 3


def test_the_api_and_the_page_give_what_to_fix_and_each_fix_previews(sessions, administrator):
    table = _scanned_table(sessions, "dbc_api")
    _scan(sessions, "dbc_api", 50)
    client = Client()
    client.force_login(administrator)

    answer = client.get(f"{API}/").json()["what_to_fix"]
    assert set(answer) == {"stats_reset", "findings", "total", "unavailable"}
    assert answer["unavailable"] == []
    [finding] = [finding for finding in answer["findings"] if finding["subject"] == table]
    assert set(finding) == {"severity", "kind", "subject", "reason", "fix", "action", "link"}
    # The action is the body of a preview, as it is.
    preview = client.post(f"{API}/actions/preview", json.dumps(finding["action"]),
                          content_type="application/json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["statements"] == [
        "CREATE INDEX CONCURRENTLY dbc_api_tenant_idx ON public.dbc_api (tenant)"]

    page = client.get("/database/").content.decode()
    assert "What to fix" in page
    assert "kind=create_index&amp;target=public.dbc_api&amp;column=tenant" in page
    for section in ('id="cache"', 'id="sequences"', 'id="settings"', 'id="replication"'):
        assert section in page
    assert "No replicas." in page


def test_the_statement_page_charts_its_history(sessions, administrator, monkeypatch):
    from monitoring.dbconsole import snapshots

    monkeypatch.setattr(snapshots, "SNAPSHOT_QUERIES", 10_000)  # a cheap statement too
    sessions.table("dbc_hist", "(id int)", "INSERT INTO dbc_hist VALUES (1)")
    conn = sessions.connect()
    conn.execute("SELECT * FROM dbc_hist WHERE id = %s", [1])
    snapshots.take_queries(snapshots.timezone.now() - snapshots.QUERIES_EVERY)
    for _ in range(4):
        conn.execute("SELECT * FROM dbc_hist WHERE id = %s", [1])
    snapshots.take_queries(snapshots.timezone.now())
    row = next(row for row in insight.slow_queries(limit=10_000)
               if "FROM dbc_hist WHERE id = $1" in row["query"])
    client = Client()
    client.force_login(administrator)
    history = client.get(f"{API}/queries/{row['queryid']}/history").json()
    assert history["calls"] == [4]
    page = client.get(f"/database/queries/{row['queryid']}/explain").content.decode()
    assert 'id="db-chart-calls"' in page and "js/databasequery.js" in page
