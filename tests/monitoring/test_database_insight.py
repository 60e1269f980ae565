"""The database console's reads (monitoring.dbconsole.insight): each finds the condition planted
for it in PostgreSQL — a table read by sequential scans, unused, duplicate and invalid indexes,
dead rows, a blocked and a long-running query, a planted connection, partitions due and past
retention — and explains a recorded statement without running it.

The planted conditions are committed by other sessions (statistics views and pg_stat_activity
see nothing of the test's own transaction), so those tests are transactional."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from m365admin import partitions
from monitoring.dbconsole import insight
from tests.monitoring.conftest import wait_for

pytestmark = pytest.mark.postgres


def _recorded(fragment: str) -> dict | None:
    """This database's pg_stat_statements row whose text contains `fragment`, however cheap
    (a planted statement on a small table ranks below every migration's)."""
    every = insight.slow_queries(limit=10_000)  # pg_stat_statements keeps 5,000 by default
    return next((row for row in every if fragment in row["query"]), None)


# Status --------------------------------------------------------------------------------------


def test_statements_problem_says_what_to_change_when_the_library_is_not_preloaded():
    message = insight.statements_problem(False, False, "m365admin_prod")
    assert "not loaded" in message
    assert "shared_preload_libraries" in message
    assert "restart PostgreSQL" in message
    assert "CREATE EXTENSION pg_stat_statements" in message
    assert "m365admin_prod" in message


def test_statements_problem_says_to_create_the_extension_when_only_that_is_missing():
    message = insight.statements_problem(True, False, "m365admin_prod")
    assert "not created in this database" in message
    assert "CREATE EXTENSION pg_stat_statements" in message
    assert "shared_preload_libraries" not in message
    assert insight.statements_problem(True, True, "m365admin_prod") == ""


@pytest.mark.django_db
def test_status_reports_the_server_and_the_working_extensions():
    state = insight.status()
    assert state["database"] == connection.settings_dict["NAME"]
    assert state["version_num"] >= 130000
    assert state["statements_extension"] is True
    assert state["pgstattuple"] is True
    assert state["statements_problem"] == ""
    assert 0 <= state["xid_wraparound_percent"] < 50


# Queries -------------------------------------------------------------------------------------


def test_slow_queries_count_a_planted_statement_and_only_this_databases(sessions):
    sessions.table("dbc_counted", "(id int, tenant int)",
                   "INSERT INTO dbc_counted SELECT n, n % 10 FROM generate_series(1, 100) n")
    conn = sessions.connect()
    for tenant in range(3):
        conn.execute("SELECT count(*) FROM dbc_counted WHERE tenant = %s", [tenant])
    # The same kind of statement in another database is not this database's.
    other = sessions.connect(dbname="postgres")
    other.execute("SELECT %s::int AS dbc_in_the_postgres_database", [1])

    row = _recorded("FROM dbc_counted WHERE tenant = $1")
    assert row is not None
    assert row["calls"] == 3
    assert row["rows"] == 3
    assert row["total_ms"] > 0 and 0 < row["percent"] <= 100
    assert int(row["queryid"])  # text: 64-bit IDs are beyond JavaScript's numbers
    assert _recorded("dbc_in_the_postgres_database") is None
    assert len(insight.slow_queries(limit=2)) == 2


def test_explain_gives_the_generic_plan_of_a_recorded_statement_without_running_it(sessions):
    sessions.table("dbc_explain", "(id int, tenant int, note text)",
                   "INSERT INTO dbc_explain SELECT n, n % 10, 'kept' "
                   "FROM generate_series(1, 500) n")
    conn = sessions.connect()
    conn.execute("SELECT id FROM dbc_explain WHERE tenant = %s", [3])
    conn.execute("UPDATE dbc_explain SET note = %s WHERE id = %s", ["changed", 0])

    select = _recorded("SELECT id FROM dbc_explain WHERE tenant = $1")
    explained = insight.explain(int(select["queryid"]))
    assert explained["queryid"] == select["queryid"]
    assert explained["query"] == select["query"]
    assert "Seq Scan on dbc_explain" in explained["plan"]
    assert "Filter: (tenant = " in explained["plan"]

    update = _recorded("UPDATE dbc_explain SET note = $1")
    assert "Update on dbc_explain" in insight.explain(int(update["queryid"]))["plan"]
    # Planned, never run: every row still reads as it did.
    assert conn.execute("SELECT count(*) FROM dbc_explain WHERE note <> 'kept'").fetchone() == (0,)


def test_explain_refuses_a_utility_statement_and_an_unknown_id_clearly(sessions):
    sessions.table("dbc_utility", "(id int)")
    sessions.connect().execute("ANALYZE dbc_utility")
    utility = _recorded("ANALYZE dbc_utility")
    assert utility is not None
    with pytest.raises(insight.CannotExplain, match="utility statement"):
        insight.explain(int(utility["queryid"]))
    with pytest.raises(insight.CannotExplain, match="No statement with query ID 4242"):
        insight.explain(4242)
    with pytest.raises(insight.CannotExplain, match="signed 64-bit"):
        insight.explain(2**63)


def test_a_statement_postgresql_cannot_plan_says_why_and_the_next_explain_still_works(sessions):
    sessions.table("dbc_unplannable", "(id int)",
                   "INSERT INTO dbc_unplannable SELECT generate_series(1, 10)")
    conn = sessions.connect()
    # Recorded as "SELECT $1 IS NULL AS dbc_untyped …": nothing gives the parameter a type.
    conn.execute("SELECT 'a' IS NULL AS dbc_untyped FROM dbc_unplannable")
    conn.execute("SELECT id FROM dbc_unplannable WHERE id = %s", [3])
    untyped = _recorded("AS dbc_untyped FROM dbc_unplannable")
    planned = _recorded("SELECT id FROM dbc_unplannable WHERE id = $1")

    with pytest.raises(insight.CannotExplain, match="could not determine data type"):
        insight.explain(int(untyped["queryid"]))
    # The same session explains again: the failed attempt left no prepared statement behind.
    for _ in range(2):
        assert "dbc_unplannable" in insight.explain(int(planned["queryid"]))["plan"]


# Tables and indexes --------------------------------------------------------------------------


def test_a_table_read_by_sequential_scans_is_listed_and_its_filter_column_suggested(
        sessions, settings):
    settings.DB_CONSOLE_SEQ_SCAN_MIN_SCANS = 5  # the minimum has tests of its own
    table = sessions.table(
        "dbc_scanned", "(id bigint, tenant int, note text)",
        "INSERT INTO dbc_scanned SELECT n, n % 50, 'x' FROM generate_series(1, 20000) n",
        "ANALYZE dbc_scanned",
    )
    # A small table scanned just as often is no candidate: an index would not help it.
    sessions.table("dbc_small", "(id int, tenant int)",
                   "INSERT INTO dbc_small SELECT n, n FROM generate_series(1, 100) n",
                   "ANALYZE dbc_small")
    conn = sessions.connect()
    for tenant in range(5):
        conn.execute("SELECT count(*) FROM dbc_scanned WHERE tenant = %s", [tenant])
        conn.execute("SELECT count(*) FROM dbc_small WHERE tenant = %s", [tenant])
    conn.execute("SELECT count(*) FROM dbc_scanned WHERE id > %s", [19990])  # less often
    sessions.flushed(conn)

    found = insight.tables()
    scanned = {row["name"]: row for row in insight.sequential_scans(found)}
    assert table in scanned
    assert scanned[table]["seq_scan"] >= 6
    assert scanned[table]["seq_tup_read"] >= 6 * 20000
    assert scanned[table]["live_rows"] == 20000
    assert scanned[table]["seq_scan_percent"] == 100.0
    assert "public.dbc_small" not in scanned

    suggested = {row["table"]: row for row in insight.missing_indexes(found)}
    assert suggested[table]["column"] == "tenant"  # the busiest unindexed filter
    assert suggested[table]["calls"] == 5
    assert "public.dbc_small" not in suggested

    # Once the column leads an index, it is no longer suggested.
    conn.execute("CREATE INDEX dbc_scanned_tenant ON dbc_scanned (tenant)")
    again = {row["table"]: row for row in insight.missing_indexes()}
    assert again[table]["column"] == "id"


def test_unused_and_duplicate_indexes_are_found(sessions):
    table = sessions.table(
        "dbc_dup", "(id int PRIMARY KEY, a int, b int)",
        "INSERT INTO dbc_dup SELECT n, n % 100, n FROM generate_series(1, 2000) n",
        "CREATE INDEX dbc_dup_a ON dbc_dup (a)",
        "CREATE INDEX dbc_dup_ab ON dbc_dup (a, b)",
        "ANALYZE dbc_dup",
    )
    conn = sessions.connect()
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET enable_bitmapscan = off")
    plan = conn.execute("EXPLAIN SELECT b FROM dbc_dup WHERE a = 1 AND b = 1").fetchall()
    assert "dbc_dup_ab" in str(plan)
    sessions.flushed(conn, "SELECT b FROM dbc_dup WHERE a = 1 AND b = 1")

    found = insight.indexes()
    unused = {index["name"] for index in found["unused"]}
    assert "public.dbc_dup_a" in unused
    assert "public.dbc_dup_ab" not in unused  # scanned once
    assert "public.dbc_dup_pkey" not in unused  # backs a constraint
    duplicate = {index["name"]: index for index in found["duplicate"]
                 if index["table"] == table}
    assert list(duplicate) == ["public.dbc_dup_a"]
    assert duplicate["public.dbc_dup_a"]["covered_by"] == "public.dbc_dup_ab"
    assert "(a, b)" in duplicate["public.dbc_dup_a"]["covered_by_definition"]
    assert not [index for index in found["invalid"] if index["table"] == table]


def test_indexes_that_enforce_uniqueness_are_never_unused_or_duplicate(sessions):
    table = sessions.table(
        "dbc_guard", "(id int, a int, b int, done boolean)",
        # What Django makes of a conditional UniqueConstraint: a unique index, no constraint.
        "CREATE UNIQUE INDEX dbc_guard_one_open ON dbc_guard (a) WHERE NOT done",
        "CREATE UNIQUE INDEX dbc_guard_ab ON dbc_guard (a, b)",
        "CREATE INDEX dbc_guard_a_b ON dbc_guard (a, b)",
    )
    found = insight.indexes()
    unused = {index["name"] for index in found["unused"] if index["table"] == table}
    duplicate = {index["name"]: index["covered_by"] for index in found["duplicate"]
                 if index["table"] == table}
    assert unused == {"public.dbc_guard_a_b"}  # never scanned, and enforces nothing
    # Of the identical pair, the plain one goes; the unique one stays whatever the names.
    assert duplicate == {"public.dbc_guard_a_b": "public.dbc_guard_ab"}


def test_an_index_left_invalid_by_a_failed_concurrent_build_is_found(sessions):
    table = sessions.table("dbc_invalid", "(a int)",
                           "INSERT INTO dbc_invalid VALUES (1), (1), (2)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        sessions.connect().execute("CREATE UNIQUE INDEX CONCURRENTLY dbc_invalid_a "
                                   "ON dbc_invalid (a)")
    found = insight.indexes()
    invalid = [index for index in found["invalid"] if index["table"] == table]
    assert [index["name"] for index in invalid] == ["public.dbc_invalid_a"]
    assert invalid[0]["is_valid"] is False
    # An invalid index is reported as such, not as unused or duplicate.
    assert "public.dbc_invalid_a" not in {index["name"] for index in found["unused"]}


def test_dead_rows_after_deletes_show_in_the_table_list_and_the_measured_bloat(sessions):
    table = sessions.table(
        "dbc_dead", "(id int, pad text) WITH (autovacuum_enabled = false)",
        "INSERT INTO dbc_dead SELECT n, repeat('x', 100) FROM generate_series(1, 4000) n",
    )
    sessions.table("dbc_clean", "(id int, pad text) WITH (autovacuum_enabled = false)",
                   "INSERT INTO dbc_clean SELECT n, repeat('x', 100) "
                   "FROM generate_series(1, 4000) n")
    sessions.flushed(sessions.connect(), "DELETE FROM dbc_dead WHERE id % 4 = 0")

    rows = {row["name"]: row for row in insight.tables()}
    assert rows[table]["dead_rows"] == 1000
    assert rows[table]["live_rows"] == 3000
    assert rows[table]["dead_percent"] == 25.0
    assert rows["public.dbc_clean"]["dead_rows"] == 0

    measured = insight.bloat(table)
    assert measured["measured"] is True
    assert 15 <= measured["dead_percent"] <= 30
    assert insight.bloat("public.dbc_clean")["dead_percent"] == 0.0
    with pytest.raises(LookupError, match=r"no table public\.dbc_nowhere"):
        insight.bloat("public.dbc_nowhere")


def test_a_partitioned_table_counts_once_with_its_partitions_summed(sessions):
    table = sessions.table(
        "dbc_parted", "(id int, at date) PARTITION BY RANGE (at)",
        "CREATE TABLE dbc_parted_2020 PARTITION OF dbc_parted "
        "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
        "CREATE TABLE dbc_parted_2021 PARTITION OF dbc_parted "
        "FOR VALUES FROM ('2021-01-01') TO ('2022-01-01')",
        "INSERT INTO dbc_parted SELECT n, date '2020-06-01' + n FROM generate_series(1, 400) n",
    )
    sessions.flushed(sessions.connect(), "DELETE FROM dbc_parted WHERE id <= 100")
    rows = {row["name"]: row for row in insight.tables()}
    assert "public.dbc_parted_2020" not in rows and "public.dbc_parted_2021" not in rows
    assert rows[table]["partitioned"] is True
    assert rows[table]["partitions"] == 2
    assert rows[table]["live_rows"] == 300
    assert rows[table]["dead_rows"] == 100
    assert insight.bloat(table)["dead_percent"] > 0


# Activity ------------------------------------------------------------------------------------


def test_connections_show_a_planted_connection_by_its_application_name(sessions):
    sessions.connect("dbc planted client")
    rows = [row for row in insight.connections() if row["application_name"] == "dbc planted client"]
    assert rows == [{"state": "idle", "application_name": "dbc planted client",
                     "client": "127.0.0.1", "connections": 1}]


def test_a_long_running_statement_is_listed_with_its_duration(sessions, in_thread):
    sleeper = sessions.connect("dbc sleeper")
    thread = in_thread(sleeper.execute, "SELECT pg_sleep(30)")

    def listed():
        return next((row for row in insight.long_running(timedelta(seconds=1))
                     if row["pid"] == sleeper.info.backend_pid), None)

    try:
        row = wait_for(listed, what="the sleeper in long_running()")
        assert row["state"] == "active"
        assert row["application_name"] == "dbc sleeper"
        assert row["query"] == "SELECT pg_sleep(30)"
        assert row["seconds"] >= 1
        assert sleeper.info.backend_pid not in {
            row["pid"] for row in insight.long_running(timedelta(minutes=5))}
    finally:
        sleeper.cancel_safe()
        thread.join(10)
    assert isinstance(thread.outcome.get("error"), psycopg.errors.QueryCanceled)


def test_a_blocked_query_is_shown_waiting_on_the_session_that_holds_the_lock(sessions, in_thread):
    sessions.table("dbc_locked", "(id int PRIMARY KEY, v int)",
                   "INSERT INTO dbc_locked VALUES (1, 0), (2, 0)")
    holder = sessions.connect("dbc holder")
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE dbc_locked IN ACCESS EXCLUSIVE MODE")
    waiter = sessions.connect("dbc waiter")
    thread = in_thread(waiter.execute, "UPDATE dbc_locked SET v = 1 WHERE id = 1")

    def waiting():
        return next((row for row in insight.blocked()
                     if row["pid"] == waiter.info.backend_pid), None)

    try:
        row = wait_for(waiting, what="the waiter in blocked()")
        assert row["blocking_pid"] == holder.info.backend_pid
        assert row["blocking_application"] == "dbc holder"
        assert row["blocking_state"] == "idle in transaction"
        assert row["blocking_query"] == "LOCK TABLE dbc_locked IN ACCESS EXCLUSIVE MODE"
        assert row["query"] == "UPDATE dbc_locked SET v = 1 WHERE id = 1"
        assert (row["locktype"], row["mode"], row["relation"]) == (
            "relation", "RowExclusiveLock", "dbc_locked")
        assert row["blocking_transaction_seconds"] >= 0
    finally:
        holder.execute("ROLLBACK")
        thread.join(10)
    assert "error" not in thread.outcome
    assert not [row for row in insight.blocked() if row["pid"] == waiter.info.backend_pid]


@pytest.mark.django_db
def test_the_pool_reports_its_settings_and_this_processs_connections(settings):
    found = insight.pool()
    pool = settings.DATABASES["default"]["OPTIONS"]["pool"]
    assert found["settings"] == {key: pool[key] for key in ("min_size", "max_size", "timeout")}
    assert found["this_process"]["application_name"] == settings.DATABASE_APPLICATION_NAME
    mine = [row for row in found["processes"]
            if row["application_name"] == settings.DATABASE_APPLICATION_NAME]
    assert mine and mine[0]["connections"] >= 1


# Partitions ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_partition_tables_list_the_signin_partitions_with_bounds_and_what_is_due():
    now = datetime.now(UTC)
    ahead = partitions.next_month(partitions.month_start(now))
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(f'DROP TABLE "{partitions.SIGNINS.partition_name(ahead)}"')
    partitions.SIGNINS.ensure({date(2001, 1, 1)})

    signins = next(table for table in insight.partition_tables()
                   if table["table"] == "m365admin_signin")
    by_name = {partition["name"]: partition for partition in signins["partitions"]}
    current = partitions.SIGNINS.partition_name(partitions.month_start(now))
    assert by_name[current]["start"] == datetime(now.year, now.month, 1, tzinfo=UTC)
    assert by_name[current]["end"] == datetime.combine(
        partitions.next_month(partitions.month_start(now)), datetime.min.time(), UTC)
    assert by_name[current]["rows"] >= 0 and by_name[current]["size_bytes"] > 0
    assert signins["due"] == [partitions.SIGNINS.partition_name(ahead)]
    assert signins["expired"] == ["m365admin_signin_p2001_01"]
    assert by_name["m365admin_signin_p2001_01"]["end"] == datetime(2001, 2, 1,
                                                                    tzinfo=UTC)


@pytest.mark.django_db
def test_nothing_is_due_or_expired_after_migrate():
    signins = next(table for table in insight.partition_tables()
                   if table["table"] == "m365admin_signin")
    assert signins["due"] == [] and signins["expired"] == []
    assert len(signins["partitions"]) >= 3
