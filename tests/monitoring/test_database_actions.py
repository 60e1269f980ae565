"""The database console's actions: each runs exactly the SQL its plan showed, does what that
SQL says, and leaves audit entries naming the SQL; bad input (a dropped table, a held lock, a
statement timeout, a second request, changed SQL) fails clearly and leaves nothing half-built;
queued and running actions can be cancelled.

The worker runs statements on its own connection, so everything it touches is committed first:
these tests are transactional, their tables made by other sessions (tests/monitoring/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from m365admin import partitions
from m365admin.models.audit import AuditEntry
from monitoring.choices import DatabaseActionKind as Kind
from monitoring.choices import DatabaseActionState as State
from monitoring.dbconsole import actions, insight, worker
from monitoring.models import DatabaseAction, QueryStatsSnapshot
from tests.monitoring.conftest import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _queue(kind: str, target: str, user, column: str = "") -> tuple[actions.Plan, DatabaseAction]:
    """Plan and confirm exactly the planned SQL: the queued action."""
    planned = actions.plan(kind, target, column)
    action = actions.request(kind, target, column, planned.statements, user)
    assert action.state == State.QUEUED
    return planned, action


def _run(kind: str, target: str, user, column: str = "") -> tuple[actions.Plan, DatabaseAction]:
    """Plan, confirm exactly the planned SQL, let the worker run it; the action afterwards."""
    planned, action = _queue(kind, target, user, column)
    assert worker.run_queued(signals=kind in worker.SIGNAL_KINDS) == 1
    action.refresh_from_db()
    return planned, action


def _audit(action: DatabaseAction, name: str) -> AuditEntry:
    return AuditEntry.objects.get(
        action=name, target__startswith=f"monitoring.databaseaction:{action.pk} ")


def _assert_succeeded_and_audited(planned: actions.Plan, action: DatabaseAction, user) -> None:
    assert action.state == State.SUCCEEDED, action.result
    assert action.statements == planned.statements
    for statement in planned.statements:
        assert statement in action.result
    requested = _audit(action, "database.action.requested")
    assert requested.details["sql"] == planned.statements
    assert requested.actor == user.get_username()
    finished = _audit(action, "database.action.finished")
    assert finished.details["state"] == State.SUCCEEDED
    assert finished.details["kind"] == planned.kind
    assert all(statement in finished.details["result"] for statement in planned.statements)
    assert finished.actor == user.get_username()


def _one(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _index_state(name: str) -> tuple | None:
    """(valid, relfilenode) of an index, None when there is none."""
    return _one("SELECT i.indisvalid, c.relfilenode FROM pg_class c "
                "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.oid = to_regclass(%s)", [name])


def _exists(name: str) -> bool:
    return _one("SELECT to_regclass(%s) IS NOT NULL", [name])[0]


@pytest.fixture
def signin_partitions():
    """The sign-in partitions as migrate left them, whatever a test dropped or planted."""
    yield partitions.SIGNINS
    with connection.cursor() as cursor:
        cursor.execute('DROP TABLE IF EXISTS "m365admin_signin_p2001_01"')
    partitions.forget_known()
    partitions.create_ahead()


# Each action does what it showed -------------------------------------------------------------


def test_analyze_gathers_the_tables_statistics(sessions, administrator):
    table = sessions.table("dbc_analyze", "(id int) WITH (autovacuum_enabled = false)",
                           "INSERT INTO dbc_analyze SELECT generate_series(1, 1000)")
    assert _one("SELECT last_analyze FROM pg_stat_user_tables WHERE relid = %s::regclass",
                [table]) == (None,)
    planned, action = _run(Kind.ANALYZE, table, administrator)
    assert planned.statements == ["ANALYZE public.dbc_analyze"]
    _assert_succeeded_and_audited(planned, action, administrator)
    assert action.result == "ANALYZE public.dbc_analyze → ANALYZE"
    assert action.backend_pid and action.started and action.finished
    assert _one("SELECT last_analyze IS NOT NULL, reltuples FROM pg_stat_user_tables "
                "JOIN pg_class ON pg_class.oid = relid WHERE relid = %s::regclass",
                [table]) == (True, 1000)


def test_vacuum_removes_the_dead_rows(sessions, administrator):
    table = sessions.table(
        "dbc_vacuum", "(id int, pad text) WITH (autovacuum_enabled = false)",
        "INSERT INTO dbc_vacuum SELECT n, repeat('x', 50) FROM generate_series(1, 2000) n",
        "DELETE FROM dbc_vacuum WHERE id <= 500",
    )
    before = next(row for row in insight.tables() if row["name"] == table)
    assert before["dead_rows"] == 500 and before["last_vacuum"] is None
    planned, action = _run(Kind.VACUUM, table, administrator)
    assert planned.statements == ["VACUUM (ANALYZE) public.dbc_vacuum"]
    assert "does not block reads or writes" in planned.warnings[0]
    _assert_succeeded_and_audited(planned, action, administrator)
    after = next(row for row in insight.tables() if row["name"] == table)
    assert after["dead_rows"] == 0
    assert after["live_rows"] == 1500
    assert after["last_vacuum"] is not None


def test_reindex_concurrently_rebuilds_an_invalid_index_into_a_valid_one(sessions, administrator):
    sessions.table("dbc_reindex", "(a int)", "INSERT INTO dbc_reindex VALUES (1), (1), (2)")
    conn = sessions.connect()
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("CREATE UNIQUE INDEX CONCURRENTLY dbc_reindex_a ON dbc_reindex (a)")
    conn.execute("DELETE FROM dbc_reindex WHERE ctid = (SELECT min(ctid) FROM dbc_reindex "
                 "WHERE a = 1)")
    valid, before = _index_state("dbc_reindex_a")
    assert valid is False
    planned, action = _run(Kind.REINDEX, "public.dbc_reindex_a", administrator)
    assert planned.statements == ["REINDEX INDEX CONCURRENTLY public.dbc_reindex_a"]
    assert any("invalid" in warning for warning in planned.warnings)
    _assert_succeeded_and_audited(planned, action, administrator)
    valid, after = _index_state("dbc_reindex_a")
    assert valid is True and after != before  # rebuilt: a new file
    assert not _exists("dbc_reindex_a_ccnew")
    assert not [index for index in insight.indexes()["invalid"]
                if index["name"] == "public.dbc_reindex_a"]


def test_create_index_builds_the_suggested_index_concurrently(sessions, administrator):
    table = sessions.table(
        "dbc_suggest", "(id bigint, tenant int)",
        "INSERT INTO dbc_suggest SELECT n, n % 40 FROM generate_series(1, 20000) n",
        "ANALYZE dbc_suggest",
    )
    conn = sessions.connect()
    for tenant in range(settings.DB_CONSOLE_SEQ_SCAN_MIN_SCANS):  # enough to be flagged
        conn.execute("SELECT count(*) FROM dbc_suggest WHERE tenant = %s", [tenant])
    sessions.flushed(conn)
    suggestion = next(row for row in insight.missing_indexes() if row["table"] == table)
    assert suggestion["column"] == "tenant"

    planned, action = _run(Kind.CREATE_INDEX, suggestion["table"], administrator,
                           suggestion["column"])
    assert planned.statements == [
        "CREATE INDEX CONCURRENTLY dbc_suggest_tenant_idx ON public.dbc_suggest (tenant)"]
    assert planned.creates == ["public.dbc_suggest_tenant_idx"]
    _assert_succeeded_and_audited(planned, action, administrator)
    assert _index_state("dbc_suggest_tenant_idx")[0] is True
    assert table not in {row["table"] for row in insight.missing_indexes()}
    # The same suggestion again is refused: the name is taken.
    with pytest.raises(actions.Refused, match="dbc_suggest_tenant_idx already exists"):
        actions.plan(Kind.CREATE_INDEX, table, "tenant")
    with pytest.raises(actions.Refused, match="has no column nope"):
        actions.plan(Kind.CREATE_INDEX, table, "nope")


def test_create_index_on_a_partitioned_table_attaches_an_index_on_every_partition(
        sessions, administrator):
    table = sessions.table(
        "dbc_parted", "(id int, tenant int, at date) PARTITION BY RANGE (at)",
        "CREATE TABLE dbc_parted_2020 PARTITION OF dbc_parted "
        "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
        "CREATE TABLE dbc_parted_2021 PARTITION OF dbc_parted "
        "FOR VALUES FROM ('2021-01-01') TO ('2022-01-01')",
        "INSERT INTO dbc_parted SELECT n, n % 7, date '2020-01-01' + n % 700 "
        "FROM generate_series(1, 2000) n",
    )
    planned, action = _run(Kind.CREATE_INDEX, table, administrator, "tenant")
    assert planned.statements == [
        "CREATE INDEX dbc_parted_tenant_idx ON ONLY public.dbc_parted (tenant)",
        "CREATE INDEX CONCURRENTLY dbc_parted_2020_tenant_idx ON public.dbc_parted_2020 (tenant)",
        "ALTER INDEX public.dbc_parted_tenant_idx "
        "ATTACH PARTITION public.dbc_parted_2020_tenant_idx",
        "CREATE INDEX CONCURRENTLY dbc_parted_2021_tenant_idx ON public.dbc_parted_2021 (tenant)",
        "ALTER INDEX public.dbc_parted_tenant_idx "
        "ATTACH PARTITION public.dbc_parted_2021_tenant_idx",
    ]
    _assert_succeeded_and_audited(planned, action, administrator)
    assert _index_state("dbc_parted_tenant_idx")[0] is True  # valid once all are attached
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT part.relname, idx.relname, i.indisvalid
            FROM pg_inherits inh JOIN pg_index i ON i.indexrelid = inh.inhrelid
            JOIN pg_class idx ON idx.oid = i.indexrelid JOIN pg_class part ON part.oid = i.indrelid
            WHERE inh.inhparent = 'dbc_parted_tenant_idx'::regclass ORDER BY part.relname
        """)
        assert cursor.fetchall() == [("dbc_parted_2020", "dbc_parted_2020_tenant_idx", True),
                                     ("dbc_parted_2021", "dbc_parted_2021_tenant_idx", True)]

    # Dropping a partitioned index cannot be concurrent: the plan says so, and it drops all.
    planned, action = _run(Kind.DROP_INDEX, "public.dbc_parted_tenant_idx", administrator)
    assert planned.statements == ["DROP INDEX public.dbc_parted_tenant_idx"]
    assert any("cannot be dropped concurrently" in warning for warning in planned.warnings)
    _assert_succeeded_and_audited(planned, action, administrator)
    assert not _exists("dbc_parted_tenant_idx") and not _exists("dbc_parted_2020_tenant_idx")


def test_drop_index_concurrently_drops_it_and_refuses_an_index_behind_a_constraint(
        sessions, administrator):
    sessions.table("dbc_drop", "(id int PRIMARY KEY, a int)",
                   "CREATE INDEX dbc_drop_a ON dbc_drop (a)")
    with pytest.raises(actions.Refused, match="backs the constraint dbc_drop_pkey"):
        actions.plan(Kind.DROP_INDEX, "public.dbc_drop_pkey")
    with pytest.raises(actions.Refused, match=r"no index public\.dbc_drop_b"):
        actions.plan(Kind.DROP_INDEX, "public.dbc_drop_b")
    planned, action = _run(Kind.DROP_INDEX, "public.dbc_drop_a", administrator)
    assert planned.statements == ["DROP INDEX CONCURRENTLY public.dbc_drop_a"]
    assert "scanned 0 times" in planned.warnings[0]
    _assert_succeeded_and_audited(planned, action, administrator)
    assert not _exists("dbc_drop_a")
    assert _exists("dbc_drop_pkey")


def test_drop_index_refuses_an_index_that_enforces_uniqueness_without_a_constraint(sessions):
    sessions.table("dbc_unique", "(a int, done boolean)",
                   "CREATE UNIQUE INDEX dbc_unique_open ON dbc_unique (a) WHERE NOT done")
    with pytest.raises(actions.Refused, match="enforces uniqueness"):
        actions.plan(Kind.DROP_INDEX, "public.dbc_unique_open")
    # The guards behind the console's own 409 and the alerts' deduplication, too.
    with pytest.raises(actions.Refused, match="enforces uniqueness"):
        actions.plan(Kind.DROP_INDEX, "public.one_active_database_action_per_target")


def test_a_failed_unique_build_may_be_dropped_to_try_again(sessions, administrator):
    sessions.table("dbc_failed", "(a int)", "INSERT INTO dbc_failed VALUES (1), (1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        sessions.connect().execute("CREATE UNIQUE INDEX CONCURRENTLY dbc_failed_a ON dbc_failed (a)")
    planned, action = _run(Kind.DROP_INDEX, "public.dbc_failed_a", administrator)
    _assert_succeeded_and_audited(planned, action, administrator)
    assert not _exists("dbc_failed_a")


@pytest.mark.parametrize(("kind", "target"), [
    (Kind.VACUUM, "pg_catalog.pg_class"), (Kind.ANALYZE, "information_schema.sql_features"),
    (Kind.REINDEX, "pg_catalog.pg_class_oid_index"), (Kind.DROP_INDEX, "pg_catalog.pg_class_oid_index"),
    (Kind.CREATE_INDEX, "pg_catalog.pg_class"),
])
def test_targets_outside_the_applications_schemas_are_refused(kind, target):
    with pytest.raises(actions.Refused, match=r"There is no (table|index)"):
        actions.plan(kind, target, "relname")


def test_cancel_backend_stops_a_planted_query(sessions, in_thread, administrator):
    sleeper = sessions.connect("dbc sleeper")
    thread = in_thread(sleeper.execute, "SELECT pg_sleep(30)")
    pid = sleeper.info.backend_pid
    wait_for(lambda: pid in {row["pid"] for row in insight.long_running(timedelta(0))},
             what="the sleeper to run")
    planned, action = _run(Kind.CANCEL_BACKEND, str(pid), administrator)
    assert planned.statements == [f"SELECT pg_cancel_backend({pid})"]
    _assert_succeeded_and_audited(planned, action, administrator)
    assert action.result == f"SELECT pg_cancel_backend({pid}) → True"
    thread.join(10)
    assert isinstance(thread.outcome.get("error"), psycopg.errors.QueryCanceled)
    assert not sleeper.closed  # cancelled, not disconnected


def test_terminate_backend_disconnects_a_session_and_rolls_its_transaction_back(
        sessions, administrator):
    table = sessions.table("dbc_terminate", "(id int)")
    victim = sessions.connect("dbc victim")
    victim.execute("BEGIN")
    victim.execute("INSERT INTO dbc_terminate VALUES (1)")
    pid = victim.info.backend_pid
    planned, action = _run(Kind.TERMINATE_BACKEND, str(pid), administrator)
    assert planned.statements == [f"SELECT pg_terminate_backend({pid})"]
    assert any("rolled back" in warning for warning in planned.warnings)
    _assert_succeeded_and_audited(planned, action, administrator)
    wait_for(lambda: not _one("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])[0],
             what="the backend to exit")
    with pytest.raises(psycopg.OperationalError):
        victim.execute("SELECT 1")
    assert _one(f"SELECT count(*) FROM {table}") == (0,)
    with pytest.raises(actions.Refused, match="No backend with process ID"):
        actions.plan(Kind.TERMINATE_BACKEND, str(pid))
    with pytest.raises(actions.Refused, match="a number"):
        actions.plan(Kind.TERMINATE_BACKEND, "1; SELECT 1")


def test_a_backend_of_m365admins_own_is_named_in_the_warnings(sessions):
    own = sessions.connect("m365admin scheduler")
    planned = actions.plan(Kind.CANCEL_BACKEND, str(own.info.backend_pid))
    assert "m365admin's own connections (m365admin scheduler)" in planned.warnings[0]


def test_reset_statements_keeps_a_snapshot_first_and_resets_only_this_database(
        sessions, administrator):
    # Slow enough to be among the top statements a snapshot keeps.
    sessions.connect().execute("SELECT pg_sleep(%s) AS dbc_reset_marker", [0.3])
    other = sessions.connect(dbname="postgres")
    other.execute("SELECT %s::int AS dbc_kept_elsewhere", [1])
    planted = "AS dbc_reset_marker"
    assert any(planted in row["query"] for row in insight.slow_queries(limit=10_000))
    assert not QueryStatsSnapshot.objects.exists()
    reader = sessions.connect()

    def elsewhere():
        return reader.execute("SELECT calls FROM pg_stat_statements "
                              "WHERE query LIKE '%dbc_kept_elsewhere%'").fetchall()

    kept_elsewhere = elsewhere()
    assert kept_elsewhere

    planned, action = _run(Kind.RESET_STATEMENTS, "", administrator)
    assert planned.target == actions.STATEMENTS_TARGET
    _assert_succeeded_and_audited(planned, action, administrator)
    kept = QueryStatsSnapshot.objects.filter(query__contains=planted).get()
    assert kept.calls == 1 and kept.captured <= action.finished
    assert not any(planted in row["query"] for row in insight.slow_queries(limit=500))
    # pg_stat_statements is the whole server's: the other databases keep their figures.
    assert elsewhere() == kept_elsewhere


def test_create_partitions_creates_a_missing_partition_ahead(sessions, signin_partitions,
                                                             administrator):
    ahead = partitions.next_month(partitions.month_start(datetime.now(UTC)))
    name = signin_partitions.partition_name(ahead)
    sessions.connect().execute(f'DROP TABLE "{name}"')
    planned, action = _run(Kind.CREATE_PARTITIONS, "", administrator)
    assert planned.statements == [signin_partitions.create_sql(ahead)]
    _assert_succeeded_and_audited(planned, action, administrator)
    assert _exists(name)
    assert [table["due"] for table in insight.partition_tables()
            if table["table"] == "m365admin_signin"] == [[]]
    with pytest.raises(actions.Refused, match="nothing to create"):
        actions.plan(Kind.CREATE_PARTITIONS, "")


def test_drop_partitions_drops_a_partition_past_retention(signin_partitions, administrator):
    signin_partitions.ensure({date(2001, 1, 1)})  # committed: this test is transactional
    old = "m365admin_signin_p2001_01"
    assert _exists(old)
    planned, action = _run(Kind.DROP_PARTITIONS, "", administrator)
    assert planned.statements == [
        f'ALTER TABLE "m365admin_signin" DETACH PARTITION "{old}"', f'DROP TABLE "{old}"']
    assert planned.warnings == [f"{old} holds rows from 2001-01-01 to 2001-02-01; they are "
                                "deleted for good."]
    _assert_succeeded_and_audited(planned, action, administrator)
    assert not _exists(old)
    assert _exists(signin_partitions.partition_name(
        partitions.month_start(datetime.now(UTC))))
    with pytest.raises(actions.Refused, match="nothing to drop"):
        actions.plan(Kind.DROP_PARTITIONS, "")


def test_an_unknown_kind_is_refused():
    with pytest.raises(actions.Refused, match="Unknown action shrink"):
        actions.plan("shrink", "public.auth_user")


# Bad input -----------------------------------------------------------------------------------


def test_an_action_on_a_table_dropped_after_the_confirmation_fails_and_runs_nothing(
        sessions, administrator):
    table = sessions.table("dbc_gone", "(id int)")
    planned = actions.plan(Kind.VACUUM, table)
    action = actions.request(Kind.VACUUM, table, "", planned.statements, administrator)
    sessions.connect().execute("DROP TABLE dbc_gone")
    assert worker.run_queued() == 1
    action.refresh_from_db()
    assert action.state == State.FAILED
    assert action.result == ("There is no table public.dbc_gone (it may have been dropped); "
                             "refresh the console.")
    assert action.backend_pid is None and action.progress is None  # never connected
    assert _audit(action, "database.action.finished").details["state"] == State.FAILED


def test_sql_changed_after_queueing_is_not_run(sessions, administrator):
    table = sessions.table("dbc_changed", "(id int)")
    planned = actions.plan(Kind.ANALYZE, table)
    action = actions.request(Kind.ANALYZE, table, "", planned.statements, administrator)
    DatabaseAction.objects.filter(pk=action.pk).update(statements=["DROP TABLE dbc_changed"])
    worker.run_queued()
    action.refresh_from_db()
    assert action.state == State.FAILED
    assert "nothing was run" in action.result
    assert _exists("dbc_changed")


def test_tampered_sql_is_refused_and_nothing_is_queued(sessions, administrator):
    table = sessions.table("dbc_tamper", "(id int)")
    planned = actions.plan(Kind.ANALYZE, table)
    for tampered in ([planned.statements[0] + "; DROP TABLE dbc_tamper"],
                     planned.statements * 2, ["VACUUM FULL public.dbc_tamper"]):
        with pytest.raises(actions.Refused, match="The SQL has changed since it was shown"):
            actions.request(Kind.ANALYZE, table, "", tampered, administrator)
    assert not DatabaseAction.objects.exists()
    assert not AuditEntry.objects.filter(action="database.action.requested").exists()
    assert _exists("dbc_tamper")
    refused = AuditEntry.objects.filter(action="database.action.refused").order_by("id")
    assert [entry.details["sql"] for entry in refused] == [
        [planned.statements[0] + "; DROP TABLE dbc_tamper"], planned.statements * 2,
        ["VACUUM FULL public.dbc_tamper"]]
    assert all(entry.actor == administrator.get_username() for entry in refused)
    assert "The SQL has changed" in refused[0].details["reason"]


def test_a_second_action_on_the_same_target_is_refused_while_one_is_queued(
        sessions, administrator):
    table = sessions.table("dbc_twice", "(id int)")
    first = actions.request(Kind.ANALYZE, table, "", actions.plan(Kind.ANALYZE, table).statements,
                            administrator)
    for kind in (Kind.ANALYZE, Kind.VACUUM):
        with pytest.raises(actions.Refused, match=f"Action #{first.pk} .* is already queued or "
                                                  f"running on public.dbc_twice"):
            actions.request(kind, table, "", actions.plan(kind, table).statements, administrator)
    assert DatabaseAction.objects.count() == 1
    assert worker.run_queued() == 1
    # Once it has finished, the target is free again.
    again = actions.request(Kind.ANALYZE, table, "", actions.plan(Kind.ANALYZE, table).statements,
                            administrator)
    assert again.state == State.QUEUED


def test_a_lock_held_past_the_lock_timeout_fails_the_action_and_says_so(
        sessions, administrator, settings):
    settings.DB_ACTION_LOCK_TIMEOUT_SECONDS = 1
    table = sessions.table("dbc_held", "(id int)")
    holder = sessions.connect("dbc holder")
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE dbc_held IN ACCESS EXCLUSIVE MODE")
    _planned, action = _run(Kind.ANALYZE, table, administrator)
    holder.execute("ROLLBACK")
    assert action.state == State.FAILED
    assert action.result.startswith("Another session held a lock on the target, or an older "
                                    "transaction kept a concurrent build waiting, for more "
                                    "than 1 s (DB_ACTION_LOCK_TIMEOUT_SECONDS), so nothing was "
                                    "changed")
    assert _audit(action, "database.action.finished").details["state"] == State.FAILED


def test_an_open_transaction_fails_a_build_with_its_backend_named_and_jams_nothing(
        sessions, administrator, settings):
    settings.DB_ACTION_LOCK_TIMEOUT_SECONDS = 1
    table = sessions.table("dbc_jam", "(id int, tenant int)",
                           "INSERT INTO dbc_jam SELECT n, n % 7 FROM generate_series(1, 500) n")
    idle = sessions.connect("dbc idle in transaction")
    idle.execute("BEGIN")
    idle.execute("UPDATE dbc_jam SET tenant = 0 WHERE id = 1")  # then left idle in transaction
    pid = idle.info.backend_pid

    _planned, build = _run(Kind.CREATE_INDEX, table, administrator, "tenant")
    assert build.state == State.FAILED
    assert f"Waiting for backend {pid} (idle in transaction for " in build.result
    assert "terminate it from the console" in build.result
    # The cleanup met the same lock: kept for later, instead of holding up the queue.
    assert "Could not drop public.dbc_jam_tenant_idx yet" in build.result
    assert build.cleanup_pending == [["public.dbc_jam_tenant_idx", False]]
    assert _index_state("dbc_jam_tenant_idx")[0] is False

    # The next action runs at once, and terminating the blocker clears the jam.
    _planned, analyze = _run(Kind.ANALYZE, "public.auth_user", administrator)
    assert analyze.state == State.SUCCEEDED
    _planned, terminate = _run(Kind.TERMINATE_BACKEND, str(pid), administrator)
    assert terminate.state == State.SUCCEEDED
    assert worker.run_queued() == 0  # nothing queued; the pending cleanup is retried
    build.refresh_from_db()
    assert build.cleanup_pending == [] and not _exists("dbc_jam_tenant_idx")
    assert "Dropped later what the failed build had left: public.dbc_jam_tenant_idx." in build.result
    assert _audit(build, "database.action.cleaned").details["dropped"] == [
        "public.dbc_jam_tenant_idx"]


def test_cancels_and_terminations_have_their_own_lane(sessions, administrator):
    sleeper = sessions.connect("dbc lane sleeper")
    _queue(Kind.ANALYZE, "public.auth_user", administrator)
    _planned, terminate = _queue(Kind.TERMINATE_BACKEND, str(sleeper.info.backend_pid),
                                 administrator)
    assert worker.run_queued(signals=True) == 1  # the termination, not the older analyze
    terminate.refresh_from_db()
    assert terminate.state == State.SUCCEEDED
    assert worker.run_queued() == 1  # the analyze
    assert DatabaseAction.objects.filter(state=State.QUEUED).count() == 0


def test_a_concurrent_build_stopped_by_the_statement_timeout_leaves_no_index_behind(
        sessions, administrator, settings):
    # CREATE INDEX CONCURRENTLY waits, before it can finish, for every transaction whose
    # snapshot is older than its own: an old repeatable-read transaction keeps it waiting until
    # the statement timeout (shorter than the lock timeout here) stops it.
    settings.DB_ACTION_TIMEOUT_SECONDS = 1
    settings.DB_ACTION_LOCK_TIMEOUT_SECONDS = 30
    table = sessions.table("dbc_slow", "(id int, tenant int)",
                           "INSERT INTO dbc_slow SELECT n, n % 5 FROM generate_series(1, 1000) n")
    sessions.table("dbc_elsewhere", "(id int)")
    old = sessions.connect("dbc old transaction")
    old.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    old.execute("SELECT count(*) FROM dbc_elsewhere")
    _planned, action = _run(Kind.CREATE_INDEX, table, administrator, "tenant")
    old.execute("ROLLBACK")
    assert action.state == State.FAILED
    assert action.result == (
        "Stopped after the statement timeout (1 s, DB_ACTION_TIMEOUT_SECONDS).\n"
        "Dropped what the failed build had left: public.dbc_slow_tenant_idx.")
    assert not _exists("dbc_slow_tenant_idx")
    # The table stays usable: a new request can build the index.
    assert actions.plan(Kind.CREATE_INDEX, table, "tenant").creates == [
        "public.dbc_slow_tenant_idx"]


def test_a_failed_concurrent_reindex_drops_its_invalid_copy_and_keeps_the_index(
        sessions, administrator, settings):
    settings.DB_ACTION_TIMEOUT_SECONDS = 1
    settings.DB_ACTION_LOCK_TIMEOUT_SECONDS = 30
    sessions.table("dbc_rebuild", "(id int)",
                   "INSERT INTO dbc_rebuild SELECT generate_series(1, 1000)",
                   "CREATE INDEX dbc_rebuild_id ON dbc_rebuild (id)")
    sessions.table("dbc_elsewhere", "(id int)")
    old = sessions.connect("dbc old transaction")
    old.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    old.execute("SELECT count(*) FROM dbc_elsewhere")
    _planned, action = _run(Kind.REINDEX, "public.dbc_rebuild_id", administrator)
    old.execute("ROLLBACK")
    assert action.state == State.FAILED
    assert action.result.endswith(
        "Dropped what the failed build had left: public.dbc_rebuild_id_ccnew.")
    assert not _exists("dbc_rebuild_id_ccnew")
    assert _index_state("dbc_rebuild_id")[0] is True


def test_a_queued_action_is_cancelled_before_it_starts(sessions, administrator):
    table = sessions.table("dbc_queued", "(id int)")
    action = actions.request(Kind.VACUUM, table, "", actions.plan(Kind.VACUUM, table).statements,
                             administrator)
    assert worker.cancel(action, administrator) == State.CANCELLED
    action.refresh_from_db()
    assert action.state == State.CANCELLED
    assert action.result == f"Cancelled by {administrator} before it started."
    assert action.cancel_requested_by == administrator and action.finished
    assert worker.run_queued() == 0
    cancelled = _audit(action, "database.action.cancel")
    assert cancelled.details == {"state": State.CANCELLED}
    assert cancelled.actor == administrator.get_username()
    with pytest.raises(actions.Refused, match="has already finished"):
        worker.cancel(action, administrator)


def test_a_running_action_is_cancelled_in_postgresql(sessions, in_thread, administrator,
                                                     settings):
    settings.DB_ACTION_LOCK_TIMEOUT_SECONDS = 30
    table = sessions.table("dbc_running", "(id int)")
    holder = sessions.connect("dbc holder")
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE dbc_running IN ACCESS EXCLUSIVE MODE")
    action = actions.request(Kind.VACUUM, table, "", actions.plan(Kind.VACUUM, table).statements,
                             administrator)
    thread = in_thread(worker.run_queued)
    try:
        def waiting():
            action.refresh_from_db()
            return action.backend_pid and _one(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s "
                "AND application_name = %s", [action.backend_pid, worker.application_name(action)])
        wait_for(waiting, what="the action to wait for the lock")
        action.refresh_from_db()  # the step was recorded before the statement began to wait
        assert action.state == State.RUNNING
        progress = worker.progress(action)
        assert (progress["step"], progress["steps"]) == (1, 1)
        assert progress["statement"] == "VACUUM (ANALYZE) public.dbc_running"
        assert worker.cancel(action, administrator) == State.RUNNING  # the worker records it
        thread.join(15)
    finally:
        holder.execute("ROLLBACK")
    assert thread.outcome == {"value": 1}
    action.refresh_from_db()
    assert action.state == State.CANCELLED
    assert action.result == f"Cancelled by {administrator}."
    assert _audit(action, "database.action.cancel").details == {"state": State.RUNNING}
    assert _audit(action, "database.action.finished").details["state"] == State.CANCELLED
