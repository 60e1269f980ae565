"""What the database console shows: read-only questions put to PostgreSQL's statistics views.

Every function returns plain rows (dicts) for the page and the API alike, and runs inside a
short transaction with a statement timeout, so a console read never hangs on a busy server.
A partitioned table counts once: its partitions' figures are summed through pg_inherits.
Identifiers are "schema.name" strings, the form the actions take as targets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from m365admin import partitions
from monitoring.dbconsole import predicates


class Unavailable(Exception):
    """The console cannot answer here (SQLite, or pg_stat_statements missing); says why."""


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def require_postgresql() -> None:
    if not is_postgresql():
        raise Unavailable(sqlite_message())


def rows(sql: str, params=()) -> list[dict]:
    require_postgresql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = %s",
                       [f"{settings.DB_CONSOLE_TIMEOUT_SECONDS}s"])
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def sqlite_message() -> str:
    return _("The database console needs PostgreSQL: this installation runs on SQLite, which "
             "keeps no query or table statistics. Set DATABASE_URL to a PostgreSQL database to "
             "use it.")


# Status --------------------------------------------------------------------------------------

def status() -> dict:
    """The server, this database, and whether the optional extensions can be used."""
    row = rows("""
        SELECT current_setting('server_version') AS version,
               current_setting('server_version_num')::int AS version_num,
               current_database() AS database,
               pg_database_size(current_database()) AS size_bytes,
               current_setting('shared_preload_libraries') AS preload,
               EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')
                   AS statements_extension,
               EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgstattuple') AS pgstattuple,
               (SELECT age(datfrozenxid) FROM pg_database WHERE datname = current_database())
                   AS xid_age,
               current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age,
               (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database())
                   AS stats_reset
    """)[0]
    preloaded = "pg_stat_statements" in [part.strip() for part in row["preload"].split(",")]
    row["statements_problem"] = statements_problem(preloaded, row["statements_extension"],
                                                   row["database"])
    # Wraparound forces an emergency shutdown at 2^31; autovacuum freezes from freeze_max_age.
    row["xid_wraparound_percent"] = round(100 * row["xid_age"] / 2**31, 2)
    return row


def statements_problem(preloaded: bool, extension: bool, database: str) -> str:
    """What to change for pg_stat_statements to work, and why; empty when it works."""
    if not preloaded:
        return _(
            "pg_stat_statements is not loaded, so the console cannot tell which queries take "
            "the time. Add it to shared_preload_libraries (ALTER SYSTEM SET "
            "shared_preload_libraries = 'pg_stat_statements', keeping any libraries already "
            "listed), restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements; in the "
            "database %(database)s as a superuser."
        ) % {"database": database}
    if not extension:
        return _(
            "pg_stat_statements is loaded but not created in this database: run CREATE "
            "EXTENSION pg_stat_statements; in the database %(database)s as a superuser."
        ) % {"database": database}
    return ""


def _statements_ready() -> dict:
    state = status()
    if state["statements_problem"]:
        raise Unavailable(state["statements_problem"])
    return state


# Queries -------------------------------------------------------------------------------------

def slow_queries(limit: int = 20) -> list[dict]:
    """The statements that took the most time, with their share of this database's total."""
    state = _statements_ready()
    # PostgreSQL 17 renamed blk_read_time to shared_blk_read_time.
    io = "shared_blk_read_time" if state["version_num"] >= 170000 else "blk_read_time"
    return rows(f"""
        SELECT queryid::text AS queryid, query, calls, rows,
               total_plan_time + total_exec_time AS total_ms,
               (total_plan_time + total_exec_time) / NULLIF(calls, 0) AS mean_ms,
               100 * (total_plan_time + total_exec_time)
                   / NULLIF(SUM(total_plan_time + total_exec_time) OVER (), 0) AS percent,
               {io} AS io_ms,
               shared_blks_hit, shared_blks_read
        FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY total_ms DESC
        LIMIT %s
    """, [limit])  # noqa: S608 — a column name chosen by version


_EXPLAINABLE = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE|VALUES|TABLE|MERGE)\b",
                         re.IGNORECASE)
_PARAMETER = re.compile(r"\$(\d+)")


class CannotExplain(Exception):
    """EXPLAIN refused this statement; the message says why."""


def explain(queryid: int) -> dict:
    # (Query IDs are signed 64-bit: the rows give them as text, beyond JavaScript's 2^53.)
    """The generic plan of a recorded statement, without running it.

    pg_stat_statements keeps normalised text ($1, $2 … for the constants), so there is no
    sample with values: the plan is PostgreSQL's generic plan for any values. The text is the
    one recorded for this database, never text from the caller."""
    if not -2**63 <= queryid < 2**63:
        raise CannotExplain(_("Query IDs are signed 64-bit numbers; %(queryid)s is not one.")
                            % {"queryid": queryid})
    state = _statements_ready()
    found = rows("""
        SELECT query FROM pg_stat_statements
        WHERE queryid = %s
          AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        LIMIT 1
    """, [queryid])
    if not found:
        raise CannotExplain(_("No statement with query ID %(queryid)s is recorded for this "
                              "database (statistics may have been reset).") % {"queryid": queryid})
    query = found[0]["query"]
    if not _EXPLAINABLE.match(query):
        raise CannotExplain(_("Only SELECT, INSERT, UPDATE, DELETE and MERGE statements have "
                              "a plan; this one is a utility statement."))
    parameters = max((int(number) for number in _PARAMETER.findall(query)), default=0)
    try:
        plan = _generic_plan(query, parameters, state["version_num"])
    except DatabaseError as exc:  # PostgreSQL's own message is the clearest explanation
        raise CannotExplain(_("PostgreSQL could not plan this statement: %(error)s")
                            % {"error": str(exc).strip()}) from None
    return {"queryid": str(queryid), "query": query, "plan": plan}


def _generic_plan(query: str, parameters: int, version_num: int) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        # Read-only and time-bound: EXPLAIN without ANALYZE never runs the statement anyway.
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute("SET LOCAL statement_timeout = %s",
                       [f"{settings.DB_CONSOLE_TIMEOUT_SECONDS}s"])
        if version_num >= 160000:
            cursor.execute(f"EXPLAIN (GENERIC_PLAN) {query}")
            return "\n".join(line for (line,) in cursor.fetchall())
        # Before 16: prepare it, and ask for the generic plan of the prepared statement.
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE m365admin_explain AS {query}")
        try:
            # In a savepoint, so that after a failure the DEALLOCATE can still run: prepared
            # statements outlive a rollback, and the pool hands this connection on.
            with transaction.atomic():
                arguments = f"({', '.join(['NULL'] * parameters)})" if parameters else ""
                cursor.execute(f"EXPLAIN EXECUTE m365admin_explain{arguments}")
                return "\n".join(line for (line,) in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE m365admin_explain")


# Tables --------------------------------------------------------------------------------------

# Each user table or partitioned table (not a partition), with the oids of its partitions.
_TREE = """
    WITH RECURSIVE tree AS (
        SELECT c.oid, c.oid AS root
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%%'
        UNION ALL
        SELECT inherits.inhrelid, tree.root
        FROM pg_inherits inherits JOIN tree ON inherits.inhparent = tree.oid
    )
"""


def tables() -> list[dict]:
    """Per table, partitions summed: sizes, scans, live and dead rows, vacuum and analyze
    times, and the transaction-ID age that wraparound protection watches."""
    found = rows(_TREE + """
        SELECT n.nspname || '.' || root.relname AS name,
               root.relkind = 'p' AS partitioned,
               count(*) FILTER (WHERE tree.oid <> tree.root) AS partitions,
               sum(pg_table_size(tree.oid))::bigint AS table_bytes,
               sum(pg_indexes_size(tree.oid))::bigint AS index_bytes,
               sum(pg_total_relation_size(tree.oid))::bigint AS total_bytes,
               coalesce(sum(stat.seq_scan), 0)::bigint AS seq_scan,
               coalesce(sum(stat.seq_tup_read), 0)::bigint AS seq_tup_read,
               coalesce(sum(stat.idx_scan), 0)::bigint AS idx_scan,
               coalesce(sum(stat.n_live_tup), 0)::bigint AS live_rows,
               coalesce(sum(stat.n_dead_tup), 0)::bigint AS dead_rows,
               max(stat.last_vacuum) AS last_vacuum,
               max(stat.last_autovacuum) AS last_autovacuum,
               max(stat.last_analyze) AS last_analyze,
               max(stat.last_autoanalyze) AS last_autoanalyze,
               max(age(part.relfrozenxid)) FILTER (WHERE part.relkind = 'r') AS xid_age
        FROM tree
        JOIN pg_class part ON part.oid = tree.oid
        JOIN pg_class root ON root.oid = tree.root
        JOIN pg_namespace n ON n.oid = root.relnamespace
        LEFT JOIN pg_stat_user_tables stat ON stat.relid = tree.oid
        GROUP BY n.nspname, root.relname, root.relkind
        ORDER BY total_bytes DESC
    """)  # noqa: S608 — constant SQL
    for table in found:
        counted = table["live_rows"] + table["dead_rows"]
        table["dead_percent"] = round(100 * table["dead_rows"] / counted, 1) if counted else 0.0
        scans = table["seq_scan"] + table["idx_scan"]
        table["seq_scan_percent"] = round(100 * table["seq_scan"] / scans, 1) if scans else 0.0
    return found


def sequential_scans(found: list[dict] | None = None) -> list[dict]:
    """Tables big enough for an index to matter that are mostly read by sequential scans, at
    least DB_CONSOLE_SEQ_SCAN_MIN_SCANS times. The counters run from the last statistics reset
    (status()["stats_reset"]): once an index serves the reads, index scans outnumber the old
    sequential ones, and a reset forgets them at once."""
    heavy = [table for table in (tables() if found is None else found)
             if table["live_rows"] >= settings.DB_CONSOLE_SEQ_SCAN_MIN_ROWS
             and table["seq_scan"] >= settings.DB_CONSOLE_SEQ_SCAN_MIN_SCANS
             and table["seq_scan_percent"] >= 50]
    return sorted(heavy, key=lambda table: table["seq_tup_read"], reverse=True)


def bloat(table: str) -> dict:
    """Dead and free space of one table: measured by pgstattuple_approx where installed,
    estimated from the dead-row count otherwise."""
    found = next((row for row in tables() if row["name"] == table), None)
    if found is None:
        raise LookupError(_("There is no table %(table)s.") % {"table": table})
    if not status()["pgstattuple"]:
        return {"table": table, "measured": False, "dead_percent": found["dead_percent"],
                "free_percent": None,
                "note": _("Estimated from dead rows; CREATE EXTENSION pgstattuple measures it.")}
    measured = rows(_TREE + """
        SELECT sum(approx.table_len)::bigint AS table_len,
               sum(approx.dead_tuple_len)::bigint AS dead_len,
               sum(approx.approx_free_space)::bigint AS free_len
        FROM tree
        JOIN pg_class part ON part.oid = tree.oid AND part.relkind = 'r'
        JOIN pg_class root ON root.oid = tree.root
        JOIN pg_namespace n ON n.oid = root.relnamespace
        CROSS JOIN LATERAL pgstattuple_approx(tree.oid) approx
        WHERE n.nspname || '.' || root.relname = %s
    """, [table])[0]  # noqa: S608
    length = measured["table_len"] or 0

    def percent(part):
        return round(100 * (part or 0) / length, 1) if length else 0.0

    return {"table": table, "measured": True, "dead_percent": percent(measured["dead_len"]),
            "free_percent": percent(measured["free_len"]), "note": ""}


# Indexes -------------------------------------------------------------------------------------

def index_list() -> list[dict]:
    """Every top-level index (partition indexes summed into their parent's)."""
    return rows("""
        WITH RECURSIVE tree AS (
            SELECT i.indexrelid AS oid, i.indexrelid AS root
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE NOT c.relispartition
            UNION ALL
            SELECT inherits.inhrelid, tree.root
            FROM pg_inherits inherits JOIN tree ON inherits.inhparent = tree.oid
        )
        SELECT ns.nspname || '.' || idx.relname AS name,
               ns.nspname || '.' || tbl.relname AS "table",
               am.amname AS method,
               pg_get_indexdef(i.indexrelid) AS definition,
               i.indisunique AS is_unique, i.indisprimary AS is_primary,
               i.indisexclusion AS is_exclusion,
               i.indisvalid AS is_valid,
               i.indkey::int2[] AS columns,
               i.indclass::oid[] AS opclasses,
               i.indexprs IS NOT NULL AS has_expressions,
               pg_get_expr(i.indpred, i.indrelid) AS predicate,
               idx.relkind = 'I' AS partitioned,
               con.conname AS constraint_name,
               sum(pg_relation_size(tree.oid))::bigint AS size_bytes,
               coalesce(sum(stat.idx_scan), 0)::bigint AS scans
        FROM tree
        JOIN pg_index i ON i.indexrelid = tree.root
        JOIN pg_class idx ON idx.oid = tree.root
        JOIN pg_class tbl ON tbl.oid = i.indrelid
        JOIN pg_namespace ns ON ns.oid = idx.relnamespace
        JOIN pg_am am ON am.oid = idx.relam
        LEFT JOIN pg_constraint con
            ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
        LEFT JOIN pg_stat_user_indexes stat ON stat.indexrelid = tree.oid
        WHERE ns.nspname NOT IN ('pg_catalog', 'information_schema')
          AND ns.nspname NOT LIKE 'pg\\_toast%%'
        GROUP BY ns.nspname, idx.relname, tbl.relname, am.amname, i.indexrelid, i.indisunique,
                 i.indisprimary, i.indisexclusion, i.indisvalid, i.indkey, i.indclass, i.indexprs,
                 i.indpred,
                 i.indrelid, idx.relkind, con.conname
        ORDER BY size_bytes DESC
    """)


def indexes(found: list[dict] | None = None) -> dict:
    """Unused, duplicate and invalid indexes, from one read of the catalogue."""
    found = index_list() if found is None else found
    return {"unused": unused_indexes(found), "duplicate": duplicate_indexes(found),
            "invalid": [index for index in found if not index["is_valid"]]}


def enforces(index: dict) -> bool:
    """A unique, primary-key or exclusion index guards the data even when never scanned (a
    partial unique index has no constraint row): never offered for dropping."""
    return bool(index["is_unique"] or index["is_primary"] or index["is_exclusion"]
                or index["constraint_name"])


def unused_indexes(found: list[dict]) -> list[dict]:
    """Valid indexes never scanned since statistics were reset that enforce nothing."""
    return [index for index in found
            if index["scans"] == 0 and index["is_valid"] and not enforces(index)]


def duplicate_indexes(found: list[dict]) -> list[dict]:
    """Indexes whose columns lead another index of the same table and kind: the longer one
    answers every query the shorter does (a unique index is only covered by an identical one)."""
    by_table = defaultdict(list)
    for index in found:
        if index["is_valid"] and not index["has_expressions"]:
            by_table[index["table"]].append(index)
    # Only an index that enforces nothing is offered for dropping; any may cover it.
    duplicates = []
    for candidates in by_table.values():
        for index in (candidate for candidate in candidates if not enforces(candidate)):
            for other in candidates:
                if other is index or other["method"] != index["method"] \
                        or other["predicate"] != index["predicate"]:
                    continue
                columns, covering = list(index["columns"]), list(other["columns"])
                # Same leading columns with the same operator classes (a varchar_pattern_ops
                # index answers LIKE 'x%', a plain one does not).
                if covering[:len(columns)] != columns or \
                        list(other["opclasses"])[:len(columns)] != list(index["opclasses"]):
                    continue
                # Of two identical indexes keep one: one that enforces, else the first by name.
                if covering == columns and not enforces(other) and index["name"] < other["name"]:
                    continue
                duplicates.append({**index, "covered_by": other["name"],
                                   "covered_by_definition": other["definition"]})
                break
    return duplicates


# Missing indexes -----------------------------------------------------------------------------

def missing_indexes(found_tables: list[dict] | None = None,
                    found_indexes: list[dict] | None = None,
                    statements: list[dict] | None = None) -> list[dict]:
    """For each table read mostly by sequential scans, the index its recorded statements need
    most: per statement the columns it compares with a value under AND — equalities first,
    then one range (`tenant_id = $1 AND created > $2` → (tenant_id, created)) — weighted by
    calls, skipping any an existing valid index already leads with. (The page passes what it
    has read already.)"""
    heavy = sequential_scans(found_tables)
    if not heavy:
        return []
    if statements is None:
        try:
            statements = slow_queries(limit=500)
        except Unavailable:
            statements = []
    # Parsing is the costly part: only statements that name one of those tables.
    names = tuple(table["name"].split(".", 1)[1].lower() for table in heavy)
    parsed = [(statement["calls"], predicates.filters(statement["query"]))
              for statement in statements
              if any(name in statement["query"].lower() for name in names)]
    leading = defaultdict(list)
    for index in index_list() if found_indexes is None else found_indexes:
        if index["is_valid"] and index["columns"] and not index["has_expressions"]:
            leading[index["table"]].append(list(index["columns"]))
    suggestions = []
    for table in heavy:
        schema, name = table["name"].split(".", 1)
        columns = _columns(schema, name)
        calls = defaultdict(int)
        for count, found in parsed:
            for where in found:
                wanted = where.index_columns
                if where.table == name and where.schema in (None, schema) and wanted \
                        and all(column in columns for column in wanted) \
                        and not _served(where, columns, leading[table["name"]]):
                    calls[wanted] += count
        if calls:
            wanted = max(calls, key=calls.get)
            suggestions.append({"table": table["name"], "columns": list(wanted),
                                "column": ",".join(wanted),  # as the create action takes it
                                "calls": calls[wanted], "seq_scan": table["seq_scan"],
                                "seq_tup_read": table["seq_tup_read"],
                                "live_rows": table["live_rows"]})
    return suggestions


def _served(where: predicates.Filter, columns: dict[str, int], indexes: list[list[int]]) -> bool:
    """Whether an index starts with these columns: the equalities in any order, then the
    range column."""
    equality = {columns[column] for column in where.equality}
    wanted = [columns[column] for column in where.index_columns]
    return any(set(index[:len(equality)]) == equality
               and index[len(equality):len(wanted)] == wanted[len(equality):]
               for index in indexes)


def _columns(schema: str, table: str) -> dict[str, int]:
    return {row["attname"]: row["attnum"] for row in rows("""
        SELECT a.attname, a.attnum FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
    """, [schema, table])}


# Activity ------------------------------------------------------------------------------------

def connections() -> list[dict]:
    """This database's connections by state, application and client."""
    return rows("""
        SELECT coalesce(state, 'background') AS state, application_name,
               host(client_addr) AS client, count(*) AS connections
        FROM pg_stat_activity
        WHERE datname = current_database()
        GROUP BY 1, 2, 3
        ORDER BY connections DESC, state
    """)


def long_running(minimum: timedelta | None = None) -> list[dict]:
    """Statements running, and transactions left open, for longer than `minimum`."""
    if minimum is None:  # (zero is a minimum too: everything running)
        minimum = timedelta(seconds=settings.DB_CONSOLE_LONG_QUERY_SECONDS)
    return rows("""
        SELECT pid, usename AS "user", application_name, host(client_addr) AS client, state,
               wait_event_type, wait_event,
               extract(epoch FROM now() - coalesce(
                   CASE WHEN state = 'active' THEN query_start END, xact_start))::float
                   AS seconds,
               left(query, 2000) AS query
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND state IS NOT NULL AND state <> 'idle'
          AND now() - coalesce(CASE WHEN state = 'active' THEN query_start END, xact_start) >= %s
        ORDER BY seconds DESC
    """, [minimum])


def blocked() -> list[dict]:
    """The lock graph: each waiting backend, the lock it waits for and who holds it up."""
    return rows("""
        SELECT waiting.pid, left(waiting.query, 2000) AS query,
               extract(epoch FROM now() - waiting.query_start)::float AS waiting_seconds,
               lock.locktype, lock.mode, lock.relation::regclass::text AS relation,
               holder.pid AS blocking_pid, holder.state AS blocking_state,
               holder.application_name AS blocking_application,
               left(holder.query, 2000) AS blocking_query,
               extract(epoch FROM now() - holder.xact_start)::float
                   AS blocking_transaction_seconds
        FROM pg_stat_activity waiting
        CROSS JOIN LATERAL unnest(pg_blocking_pids(waiting.pid)) AS blocker(pid)
        JOIN pg_stat_activity holder ON holder.pid = blocker.pid
        LEFT JOIN LATERAL (
            SELECT locktype, mode, relation FROM pg_locks
            WHERE pg_locks.pid = waiting.pid AND NOT granted LIMIT 1
        ) lock ON true
        WHERE waiting.datname = current_database()
        ORDER BY waiting_seconds DESC
    """)


def pool() -> dict:
    """The connection pool's settings, this process's pool, and each process's connections
    (every process names itself in application_name, see settings)."""
    options = settings.DATABASES["default"].get("OPTIONS", {}).get("pool") or {}
    live = connection.pool.get_stats() if getattr(connection, "pool", None) else {}
    processes = rows("""
        SELECT application_name, count(*) AS connections,
               count(*) FILTER (WHERE state = 'active') AS active,
               count(*) FILTER (WHERE state = 'idle') AS idle,
               count(*) FILTER (WHERE state LIKE 'idle in transaction%%') AS idle_in_transaction
        FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'm365admin%%'
        GROUP BY application_name ORDER BY application_name
    """)
    return {"settings": {key: options.get(key) for key in ("min_size", "max_size", "timeout")},
            "this_process": {"application_name": settings.DATABASE_APPLICATION_NAME, **live},
            "processes": processes}


# Partitions ----------------------------------------------------------------------------------

def partition_tables() -> list[dict]:
    """Each partitioned table's partitions (bounds, rows, size), and what maintenance is due."""
    require_postgresql()
    result = []
    for table in partitions.TABLES:
        sizes = {row["name"]: row for row in rows("""
            SELECT child.relname AS name, child.reltuples::bigint AS rows,
                   pg_total_relation_size(child.oid) AS size_bytes
            FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE pg_inherits.inhparent = %s::regclass
        """, [table.table])}
        result.append({
            "table": table.table,
            "partitions": [{"name": partition.name, "start": partition.start,
                            "end": partition.end,
                            "rows": max(sizes.get(partition.name, {}).get("rows", 0), 0),
                            "size_bytes": sizes.get(partition.name, {}).get("size_bytes", 0)}
                           for partition in table.list()],
            "due": [table.partition_name(period) for period in table.missing_ahead()],
            "expired": [partition.name for partition in table.expired()],
        })
    return result


# pg_stat_activity.state (PostgreSQL 13+); a state a newer server adds is shown as it is.
_STATES = {
    "active": pgettext_lazy("backend state", "active"),
    "idle": pgettext_lazy("backend state", "idle"),
    "idle in transaction": pgettext_lazy("backend state", "idle in transaction"),
    "idle in transaction (aborted)": pgettext_lazy("backend state",
                                                   "idle in transaction (aborted)"),
    "fastpath function call": pgettext_lazy("backend state", "fast-path function call"),
    "disabled": pgettext_lazy("backend state", "not tracked"),
}


def state_words(value: object) -> str:
    """A backend's state in the reader's words."""
    return str(_STATES.get(str(value), value)) if value else ""
