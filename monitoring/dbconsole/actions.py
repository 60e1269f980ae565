"""What each database action will run: the exact SQL, built from the catalogue, never from text
the caller typed.

`plan(kind, target, column)` looks the target up in PostgreSQL's catalogue and returns the
statements with every identifier quoted by PostgreSQL's own quote_ident (through format('%I')),
plus warnings for the confirmation. The console shows those statements; `request()` stores
exactly them (after checking they are still what a fresh plan gives), and the worker runs them
(monitoring.dbconsole.worker) after checking once more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from m365admin import audit, partitions
from monitoring.choices import DatabaseActionKind as Kind
from monitoring.dbconsole import insight
from monitoring.models import DatabaseAction

# Which pg_stat_progress_* view reports on each kind's statements (PostgreSQL 13+).
PROGRESS_VIEW = {
    Kind.ANALYZE: "pg_stat_progress_analyze",
    Kind.VACUUM: "pg_stat_progress_vacuum",
    Kind.REINDEX: "pg_stat_progress_create_index",
    Kind.CREATE_INDEX: "pg_stat_progress_create_index",
}
STATEMENTS_TARGET = "pg_stat_statements"
PARTITIONS_TARGET = "partitions"


class Refused(Exception):
    """The action cannot be planned or run as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Plan:
    kind: str
    target: str
    statements: list[str]
    warnings: list[str] = field(default_factory=list)
    creates: list[str] = field(default_factory=list)  # indexes, as "schema.name"
    column: str = ""


def plan(kind: str, target: str, column: str = "") -> Plan:
    if not insight.is_postgresql():
        raise Refused(insight.sqlite_message())
    try:
        builder = _BUILDERS[Kind(kind)]
    except ValueError:
        raise Refused(_("Unknown action %(kind)s; one of %(kinds)s.")
                      % {"kind": kind, "kinds": ", ".join(Kind.values)}) from None
    return builder(target, column) if kind == Kind.CREATE_INDEX else builder(target)


def request(kind: str, target: str, column: str, confirmed: list[str], user) -> DatabaseAction:
    """Queue the action the user confirmed, if the plan still reads as it did. A refusal is
    audited too, with the SQL that was posted: a tampered statement list is worth knowing of."""
    try:
        return _request(kind, target, column, confirmed, user)
    except Refused as refused:
        audit.record("database.action.refused", f"{kind} {target}",
                     {"kind": kind, "target": target, "column": column,
                      "sql": list(confirmed), "reason": str(refused)}, user=user)
        raise


def _request(kind: str, target: str, column: str, confirmed: list[str], user) -> DatabaseAction:
    current = plan(kind, target, column)
    if list(confirmed) != current.statements:
        raise Refused(_("The SQL has changed since it was shown (the database changed in the "
                        "meantime); nothing was queued. Review the new SQL and confirm again."))
    try:
        with transaction.atomic():
            action = DatabaseAction.objects.create(
                kind=kind, target=current.target, column=current.column,
                statements=current.statements, creates=current.creates, requested_by=user)
            audit.record("database.action.requested", action,
                         {"kind": kind, "target": current.target, "sql": current.statements},
                         user=user)
    except IntegrityError:
        running = DatabaseAction.objects.filter(target=current.target).order_by("-pk").first()
        raise Refused(_("Action #%(id)s (%(action)s) is already queued or running on "
                        "%(target)s; wait for it to finish or cancel it.")
                      % {"id": running.pk if running else "?",
                         "action": running.get_kind_display() if running else "",
                         "target": current.target}) from None
    return action


# Catalogue look-ups --------------------------------------------------------------------------

def _one(sql: str, params) -> dict | None:
    found = insight.rows(sql, params)
    return found[0] if found else None


# The console lists only the application's relations; actions refuse the others alike.
_APPLICATION_SCHEMA = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'"
)


def _table(target: str) -> dict:
    found = _one(f"""
        SELECT c.oid, c.relkind = 'p' AS partitioned,
               format('%%I.%%I', n.nspname, c.relname) AS quoted, c.relname AS name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname || '.' || c.relname = %s AND c.relkind IN ('r', 'p')
          AND {_APPLICATION_SCHEMA}
    """, [target])  # noqa: S608 — constant SQL; the target is a parameter
    if found is None:
        raise Refused(_("There is no table %(target)s (it may have been dropped); refresh the "
                        "console.") % {"target": target})
    return found


def _index(target: str) -> dict:
    found = _one(f"""
        SELECT i.indexrelid AS oid, idx.relkind = 'I' AS partitioned, i.indisvalid AS valid,
               i.indisunique OR i.indisprimary OR i.indisexclusion AS enforces,
               format('%%I.%%I', n.nspname, idx.relname) AS quoted,
               n.nspname || '.' || tbl.relname AS "table",
               con.conname AS constraint_name, con.contype AS constraint_type
        FROM pg_index i
        JOIN pg_class idx ON idx.oid = i.indexrelid
        JOIN pg_class tbl ON tbl.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = idx.relnamespace
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid
            AND con.contype IN ('p', 'u', 'x')
        WHERE n.nspname || '.' || idx.relname = %s AND NOT idx.relispartition
          AND {_APPLICATION_SCHEMA}
    """, [target])  # noqa: S608
    if found is None:
        raise Refused(_("There is no index %(target)s (it may have been dropped); refresh the "
                        "console.") % {"target": target})
    return found


def _quote(*names: str) -> str:
    return insight.rows("SELECT format(%s, VARIADIC %s::text[]) AS quoted",
                        [".".join(["%I"] * len(names)), list(names)])[0]["quoted"]


# Builders ------------------------------------------------------------------------------------

def _analyze(target: str) -> Plan:
    return Plan(Kind.ANALYZE, target, [f"ANALYZE {_table(target)['quoted']}"])


def _vacuum(target: str) -> Plan:
    return Plan(Kind.VACUUM, target, [f"VACUUM (ANALYZE) {_table(target)['quoted']}"],
                [_("VACUUM reads the whole table and competes with other work for I/O; on a "
                   "large table it can take a long time. It does not block reads or writes.")])


def _reindex(target: str) -> Plan:
    index = _index(target)
    warnings = [_("The rebuild needs about the index's size in free disk space while it runs.")]
    if not index["valid"]:
        warnings.append(_("This index is invalid (a failed build): rebuilding makes it usable."))
    return Plan(Kind.REINDEX, target, [f"REINDEX INDEX CONCURRENTLY {index['quoted']}"], warnings)


def index_name(table: str, columns: list[str]) -> str:
    # PostgreSQL truncates identifiers to 63 bytes; cut here so the name we check is the name
    # it gets.
    return f"{table}_{'_'.join(columns)}_idx".encode()[:63].decode(errors="ignore")


def _create_index(target: str, column: str) -> Plan:
    """One index on the column, or on several ("tenant_id,created": equalities first, as the
    suggestions give them)."""
    table = _table(target)
    schema = target.split(".", 1)[0]
    wanted = [name.strip() for name in column.split(",")]
    if not all(wanted) or len(set(wanted)) != len(wanted):
        raise Refused(_("Name the columns to index, separated by commas, each once; not "
                        "%(column)s.") % {"column": column})
    found = {row["attname"] for row in insight.rows("""
        SELECT attname FROM pg_attribute WHERE attrelid = %s AND attname = ANY(%s)
          AND attnum > 0 AND NOT attisdropped
    """, [table["oid"], wanted])}
    for asked in wanted:
        if asked not in found:
            raise Refused(_("The table %(table)s has no column %(column)s.")
                          % {"table": target, "column": asked})
    column = ",".join(wanted)
    name = index_name(table["name"], wanted)
    if _one("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s", [schema, name]):
        raise Refused(_("A relation named %(name)s already exists in %(schema)s.")
                      % {"name": name, "schema": schema})
    quoted_column = ", ".join(_quote(asked) for asked in wanted)
    if not table["partitioned"]:
        return Plan(Kind.CREATE_INDEX, target, [
            f"CREATE INDEX CONCURRENTLY {_quote(name)} ON {table['quoted']} "
            f"({quoted_column})"
        ], creates=[f"{schema}.{name}"], column=column)
    # A partitioned table cannot be indexed CONCURRENTLY: index the parent alone (invalid until
    # every partition's index is attached), then each partition concurrently, attaching each.
    # (CREATE INDEX takes a bare name: the index goes in its table's schema.)
    statements = [f"CREATE INDEX {_quote(name)} ON ONLY {table['quoted']} "
                  f"({quoted_column})"]
    creates = [f"{schema}.{name}"]
    for child in insight.rows("""
        SELECT c.relname FROM pg_inherits JOIN pg_class c ON c.oid = pg_inherits.inhrelid
        WHERE pg_inherits.inhparent = %s ORDER BY c.relname
    """, [table["oid"]]):
        child_name = index_name(child["relname"], wanted)
        statements += [
            f"CREATE INDEX CONCURRENTLY {_quote(child_name)} ON "
            f"{_quote(schema, child['relname'])} ({quoted_column})",
            f"ALTER INDEX {_quote(schema, name)} ATTACH PARTITION {_quote(schema, child_name)}",
        ]
        creates.append(f"{schema}.{child_name}")
    return Plan(Kind.CREATE_INDEX, target, statements, [
        _("%(table)s is partitioned: the index is built one partition at a time, each without "
          "blocking writes.") % {"table": target}], creates=creates, column=column)


def _drop_index(target: str) -> Plan:
    index = _index(target)
    if index["constraint_name"]:
        raise Refused(_("%(index)s backs the constraint %(constraint)s, which needs it: "
                        "PostgreSQL would refuse to drop it. Change the constraint in a schema "
                        "migration instead.")
                      % {"index": target, "constraint": index["constraint_name"]})
    if index["enforces"] and index["valid"]:  # a failed build is dropped and redone
        raise Refused(_("%(index)s enforces uniqueness (or an exclusion) even when no query "
                        "scans it: dropping it would let duplicate rows in. Change it in a "
                        "schema migration instead.") % {"index": target})
    scans = _one("""
        SELECT coalesce(sum(idx_scan), 0)::bigint AS scans FROM pg_stat_user_indexes
        WHERE indexrelid = %s OR indexrelid IN (
            SELECT inhrelid FROM pg_inherits WHERE inhparent = %s)
    """, [index["oid"], index["oid"]])["scans"]
    warnings = [_("Queries that use this index will read the table instead. It was scanned "
                  "%(scans)s times since statistics were last reset.") % {"scans": scans}]
    if index["partitioned"]:
        warnings.append(_("A partitioned index cannot be dropped concurrently: the drop locks "
                          "the table and its partitions briefly."))
        return Plan(Kind.DROP_INDEX, target, [f"DROP INDEX {index['quoted']}"], warnings)
    return Plan(Kind.DROP_INDEX, target, [f"DROP INDEX CONCURRENTLY {index['quoted']}"], warnings)


def _backend(kind: str, function: str, target: str) -> Plan:
    if not target.isdigit():
        raise Refused(_("A backend is named by its process ID, a number; not %(target)s.")
                      % {"target": target})
    found = _one("""
        SELECT pid, application_name, state FROM pg_stat_activity
        WHERE pid = %s AND datname = current_database() AND pid <> pg_backend_pid()
    """, [int(target)])
    if found is None:
        raise Refused(_("No backend with process ID %(pid)s is connected to this database "
                        "(it may have finished).") % {"pid": target})
    warnings = []
    if found["application_name"].startswith("m365admin"):
        warnings.append(_("This is one of m365admin's own connections (%(name)s).")
                        % {"name": found["application_name"]})
    if kind == Kind.TERMINATE_BACKEND:
        warnings.append(_("Its open transaction is rolled back and its client is disconnected."))
    return Plan(kind, target, [f"SELECT {function}({int(found['pid'])})"], warnings)


def _reset_statements(target: str = STATEMENTS_TARGET) -> Plan:
    problem = insight.status()["statements_problem"]
    if problem:
        raise Refused(problem)
    # This database's statements only: pg_stat_statements is the whole server's, and the
    # console shows (and snapshots) this database's alone.
    return Plan(Kind.RESET_STATEMENTS, STATEMENTS_TARGET, [
        "SELECT pg_stat_statements_reset(dbid => (SELECT oid FROM pg_database "
        "WHERE datname = current_database()))"],
                [_("Every statement's figures start again from zero; a snapshot is kept first, "
                   "so the trends survive.")])


def _create_partitions(target: str = PARTITIONS_TARGET) -> Plan:
    statements = [table.create_sql(period) for table in partitions.TABLES
                  for period in table.missing_ahead()]
    if not statements:
        raise Refused(_("Every partition ahead exists already; nothing to create."))
    return Plan(Kind.CREATE_PARTITIONS, PARTITIONS_TARGET, statements)


def _drop_partitions(target: str = PARTITIONS_TARGET) -> Plan:
    statements, warnings = [], []
    for table in partitions.TABLES:
        for partition in table.expired():
            statements += table.drop_sql(partition)
            warnings.append(_("%(partition)s holds rows from %(start)s to %(end)s; they are "
                              "deleted for good.") % {"partition": partition.name,
                                                       "start": partition.start.date(),
                                                       "end": partition.end.date()})
    if not statements:
        raise Refused(_("No partition is past its retention; nothing to drop."))
    return Plan(Kind.DROP_PARTITIONS, PARTITIONS_TARGET, statements, warnings)


_BUILDERS = {
    Kind.ANALYZE: _analyze,
    Kind.VACUUM: _vacuum,
    Kind.REINDEX: _reindex,
    Kind.CREATE_INDEX: _create_index,
    Kind.DROP_INDEX: _drop_index,
    Kind.CANCEL_BACKEND: lambda target: _backend(Kind.CANCEL_BACKEND, "pg_cancel_backend", target),
    Kind.TERMINATE_BACKEND: lambda target: _backend(Kind.TERMINATE_BACKEND,
                                                    "pg_terminate_backend", target),
    Kind.RESET_STATEMENTS: _reset_statements,
    Kind.CREATE_PARTITIONS: _create_partitions,
    Kind.DROP_PARTITIONS: _drop_partitions,
}
