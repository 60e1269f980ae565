"""The worker side of database actions: the scheduler runs queued actions one at a time, in
two lanes.

Each action runs on its own autocommit connection (VACUUM and the CONCURRENTLY statements
refuse to run inside a transaction) named `m365admin action <id>`, so a cancel can be sent to
exactly that backend and the console can read its progress from pg_stat_progress_*. It waits
at most DB_ACTION_LOCK_TIMEOUT_SECONDS for a lock and runs at most DB_ACTION_TIMEOUT_SECONDS.

Cancelling or terminating a backend is how an Administrator clears what jams maintenance (a
session idle in transaction, say), so those run in a lane of their own, never queued behind a
maintenance action that may be waiting on that very backend. Whatever a failed build leaves
and a held lock keeps from being dropped is dropped on a later round, not waited for.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import errors

from m365admin import audit, partitions
from m365admin.lib.ownconnection import own_connection
from monitoring.choices import DatabaseActionKind as Kind
from monitoring.choices import DatabaseActionState as State
from monitoring.dbconsole import actions, insight, snapshots
from monitoring.models import DatabaseAction

logger = logging.getLogger(__name__)

ORPHAN_GRACE = timedelta(seconds=60)


def application_name(action: DatabaseAction) -> str:
    return f"m365admin action {action.pk}"


# The lane that clears jams: these act on another backend and take no lock on a relation.
SIGNAL_KINDS = frozenset({Kind.CANCEL_BACKEND, Kind.TERMINATE_BACKEND})


class _Cancelled(Exception):
    """A cancel arrived between two statements."""


def run_queued(signals: bool = False) -> int:
    """Run every queued action of one lane, oldest first; returns how many ran.

    `signals`: the lane of backend cancels and terminations; else maintenance, which also
    settles actions orphaned by a stopped worker and retries pending cleanups."""
    if not signals:
        _fail_orphans()
        _retry_cleanups()
    count = 0
    while (action := _claim(signals)) is not None:
        _run(action)
        count += 1
    return count


def _fail_orphans() -> None:
    """Actions left running by a scheduler that stopped: their connection is gone, so
    PostgreSQL rolled back what it could; record that, and drop a half-built index."""
    settled = timezone.now() - ORPHAN_GRACE  # past the moment between claim and connect
    running = list(DatabaseAction.objects.filter(state=State.RUNNING, started__lt=settled))
    if not running:
        return
    alive = {row["application_name"] for row in insight.rows(
        "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE %s",
        ["m365admin action %"])}
    for action in running:
        if application_name(action) not in alive:
            result = _("The worker stopped while this action ran (the scheduler was restarted "
                       "or lost its database connection); PostgreSQL rolled back the statement "
                       "in progress.") + _cleanup(action)
            _finish(action, State.FAILED, result)


def _claim(signals: bool) -> DatabaseAction | None:
    lane = Q(kind__in=SIGNAL_KINDS)
    with transaction.atomic():
        queued = DatabaseAction.objects.select_for_update(skip_locked=True).filter(
            lane if signals else ~lane, state=State.QUEUED).order_by("requested")
        action = queued.first()
        if action is None:
            return None
        action.state, action.started = State.RUNNING, timezone.now()
        action.save(update_fields=["state", "started"])
    return action


def _run(action: DatabaseAction) -> None:
    try:
        # Plan again: the table may be gone, or the plan different, since the confirmation.
        current = actions.plan(action.kind, action.target, action.column)
        if current.statements != action.statements:
            raise actions.Refused(_("The database changed since the SQL was confirmed; nothing "
                                    "was run. Review the action again."))
        if action.kind == Kind.RESET_STATEMENTS:
            snapshots.take()  # so the trends survive the reset
        done = _execute(action)
        if action.kind in ONE_TRANSACTION:
            # The sync and the sampler (this process) cache which partitions exist.
            partitions.forget_known()
        state, result = State.SUCCEEDED, done
    except actions.Refused as refused:
        state, result = State.FAILED, str(refused)
    except (errors.QueryCanceled, errors.LockNotAvailable, _Cancelled) as stopped:
        action.refresh_from_db(fields=["cancel_requested_by"])
        if action.cancel_requested_by_id:
            state = State.CANCELLED
            result = _("Cancelled by %(user)s.") % {"user": action.cancel_requested_by}
        elif isinstance(stopped, errors.LockNotAvailable):
            state, result = State.FAILED, _(
                "Another session held a lock on the target, or an older transaction kept a "
                "concurrent build waiting, for more than %(seconds)s s (DB_ACTION_LOCK_TIMEOUT_"
                "SECONDS), so nothing was changed. %(holders)s") % {
                "seconds": settings.DB_ACTION_LOCK_TIMEOUT_SECONDS,
                "holders": _holders(action)}
        else:
            state, result = State.FAILED, _(
                "Stopped after the statement timeout (%(seconds)s s, "
                "DB_ACTION_TIMEOUT_SECONDS).") % {"seconds": settings.DB_ACTION_TIMEOUT_SECONDS}
        result += _cleanup(action)
    except psycopg.Error as error:
        message = error.diag.message_primary or str(error)
        state, result = State.FAILED, _("PostgreSQL refused: %(error)s") % {"error": message}
        result += _cleanup(action)
    except Exception:
        logger.exception("database action %s failed", action.pk)
        state, result = State.FAILED, _("The action failed unexpectedly; the server log has "
                                        "the details.")
        result += _cleanup(action)
    _finish(action, state, result)


def _connect(action: DatabaseAction) -> psycopg.Connection:
    conn = own_connection(application_name=application_name(action))
    conn.execute(f"SET lock_timeout = '{settings.DB_ACTION_LOCK_TIMEOUT_SECONDS}s'")
    conn.execute(f"SET statement_timeout = '{settings.DB_ACTION_TIMEOUT_SECONDS}s'")
    return conn


# Partition changes commit together or not at all (a partition detached but not dropped would
# be half-done); the other kinds cannot run inside a transaction, one statement each at most
# (a partitioned index's steps are each complete, and a failure drops what they built).
ONE_TRANSACTION = {Kind.CREATE_PARTITIONS, Kind.DROP_PARTITIONS}


def _execute(action: DatabaseAction) -> str:
    with _connect(action) as conn:
        DatabaseAction.objects.filter(pk=action.pk).update(
            backend_pid=conn.info.backend_pid)
        if action.kind in ONE_TRANSACTION:
            with conn.transaction():
                return _statements(action, conn)
        return _statements(action, conn)


def _statements(action: DatabaseAction, conn: psycopg.Connection) -> str:
    lines = []
    for step, statement in enumerate(action.statements, start=1):
        action.refresh_from_db(fields=["cancel_requested_by"])
        if action.cancel_requested_by_id:
            raise _Cancelled
        DatabaseAction.objects.filter(pk=action.pk).update(
            progress={"step": step, "steps": len(action.statements), "statement": statement})
        cursor = conn.execute(statement)
        if cursor.description and cursor.rowcount == 1:
            (value,) = cursor.fetchone()
            lines.append(f"{statement} → {value}")
        else:
            lines.append(f"{statement} → {cursor.statusmessage}")
    return "\n".join(lines)


def _holders(action: DatabaseAction) -> str:
    """Who kept the action waiting: sessions holding a lock on its table, and transactions
    older than the action (a concurrent build waits for every one of them)."""
    table = action.target if action.kind in TABLE_KINDS else _table_of_index(action.target)
    found = insight.rows("""
        SELECT a.pid, a.state,
               extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::int AS seconds
        FROM pg_stat_activity a
        WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
          AND a.backend_type = 'client backend' AND a.application_name NOT LIKE 'm365admin action %%'
          AND (a.pid IN (SELECT l.pid FROM pg_locks l
                         WHERE l.granted AND l.relation = to_regclass(%s))
               OR a.xact_start < %s)
        ORDER BY a.xact_start NULLS LAST LIMIT 3
    """, [table, action.started])
    if not found:
        return _("The blocked queries section shows who holds it; try again when it is quieter.")
    return _("Waiting for %(holders)s: terminate it from the console (Connections) or retry "
             "once it is done.") % {"holders": "; ".join(
                 _("backend %(pid)s (%(state)s for %(seconds)s s)") % row for row in found)}


# Kinds whose target is a table; the others' is an index (or nothing the lock wait names).
TABLE_KINDS = frozenset({Kind.ANALYZE, Kind.VACUUM, Kind.CREATE_INDEX})


def _table_of_index(index: str) -> str | None:
    found = insight.rows("SELECT indrelid::regclass::text AS name FROM pg_index "
                         "WHERE indexrelid = to_regclass(%s)", [index])
    return found[0]["name"] if found else None


def _cleanup(action: DatabaseAction) -> str:
    """Leave nothing half-built: a failed CREATE INDEX drops what it had created, a failed
    REINDEX CONCURRENTLY the invalid "<index>_ccnew" copy it leaves beside the old index.
    What a held lock keeps from being dropped now is kept in `cleanup_pending` for later."""
    if action.kind == Kind.CREATE_INDEX:
        names, invalid_only = [_like(name) for name in action.creates], False
    elif action.kind == Kind.REINDEX:
        names, invalid_only = [_like(action.target) + "\\_ccnew%"], True
    else:
        return ""
    leftovers = insight.rows("""
        SELECT format('%%I.%%I', n.nspname, c.relname) AS quoted, c.relkind = 'I' AS partitioned
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_index i ON i.indexrelid = c.oid
        WHERE n.nspname || '.' || c.relname LIKE ANY(%s) AND (NOT i.indisvalid OR NOT %s)
        ORDER BY c.relkind = 'I' DESC
    """, [names, invalid_only])
    if not leftovers:
        return ""
    dropped, pending = _drop(action, [(row["quoted"], row["partitioned"]) for row in leftovers])
    DatabaseAction.objects.filter(pk=action.pk).update(cleanup_pending=pending)
    lines = []
    if dropped:
        lines.append(_("Dropped what the failed build had left: %(names)s.")
                     % {"names": ", ".join(dropped)})
    if pending:
        lines.append(_("Could not drop %(names)s yet (a lock is held); the worker tries again "
                       "on its next rounds.") % {"names": ", ".join(name for name, _ in pending)})
    return "\n" + "\n".join(lines)


def _drop(action: DatabaseAction, indexes: list) -> tuple[list[str], list]:
    """Drop (quoted name, partitioned) indexes; returns the dropped names and what is left."""
    dropped, pending = [], []
    with _connect(action) as conn:
        for name, partitioned in indexes:
            # A partitioned index cannot be dropped concurrently (its drop takes its children).
            concurrently = "" if partitioned else "CONCURRENTLY "
            try:
                conn.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")
                dropped.append(name)
            except psycopg.Error:  # a held lock, mostly: never worth holding up the queue
                pending.append([name, partitioned])
    return dropped, pending


def _retry_cleanups() -> None:
    for action in DatabaseAction.objects.exclude(cleanup_pending=[]).exclude(
            state__in=[State.QUEUED, State.RUNNING]):
        dropped, pending = _drop(action, action.cleanup_pending)
        if not dropped:
            continue
        line = _("Dropped later what the failed build had left: %(names)s.") % {
            "names": ", ".join(dropped)}
        DatabaseAction.objects.filter(pk=action.pk).update(
            cleanup_pending=pending, result=action.result + "\n" + line)
        audit.record("database.action.cleaned", action, {"dropped": dropped}, user=None)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _finish(action: DatabaseAction, state: str, result: str) -> None:
    with transaction.atomic():
        DatabaseAction.objects.filter(pk=action.pk).update(
            state=state, result=result, finished=timezone.now())
        action.refresh_from_db()
        seconds = action.duration.total_seconds()
        audit.record("database.action.finished", action,
                     {"kind": action.kind, "target": action.target, "state": state,
                      "seconds": round(seconds, 3), "result": result[:2000]},
                     user=action.requested_by)
    logger.info("database action id=%s kind=%s state=%s seconds=%.1f",
                action.pk, action.kind, state, seconds)


def cancel(action: DatabaseAction, user) -> str:
    """Stop a queued action, or ask PostgreSQL to cancel a running one (the worker then records
    it as cancelled). Returns the action's state afterwards."""
    with transaction.atomic():
        locked = DatabaseAction.objects.select_for_update().get(pk=action.pk)
        if not locked.active:
            raise actions.Refused(_("Action #%(id)s has already finished (%(state)s).")
                                  % {"id": locked.pk, "state": locked.get_state_display()})
        locked.cancel_requested_by = user
        if locked.state == State.QUEUED:
            locked.state, locked.finished = State.CANCELLED, timezone.now()
            locked.result = _("Cancelled by %(user)s before it started.") % {"user": user}
        locked.save(update_fields=["cancel_requested_by", "state", "finished", "result"])
        audit.record("database.action.cancel", locked, {"state": locked.state}, user=user)
    if locked.state == State.RUNNING and locked.backend_pid:
        insight.rows("""
            SELECT pg_cancel_backend(pid) FROM pg_stat_activity
            WHERE pid = %s AND application_name = %s
        """, [locked.backend_pid, application_name(locked)])
    return locked.state


def progress(action: DatabaseAction) -> dict | None:
    """What PostgreSQL reports of the running statement, beside the worker's step count."""
    if action.state != State.RUNNING:
        return action.progress
    reported = {}
    view = actions.PROGRESS_VIEW.get(action.kind)
    if view and action.backend_pid:
        # The view name comes from actions.PROGRESS_VIEW; the pid is a parameter.
        found = insight.rows(
            f"SELECT * FROM {view} WHERE pid = %s", [action.backend_pid])  # noqa: S608
        reported = found[0] if found else {}
    return {**(action.progress or {}), **_percent(action.kind, reported), "postgresql": reported}


def _percent(kind: str, reported: dict) -> dict:
    """A percentage of the current phase, from the block or tuple counters PostgreSQL keeps."""
    for done, total in (("heap_blks_scanned", "heap_blks_total"),
                        ("sample_blks_scanned", "sample_blks_total"),
                        ("blocks_done", "blocks_total"), ("tuples_done", "tuples_total")):
        if reported.get(total):
            return {"phase": reported.get("phase", ""),
                    "percent": round(100 * reported[done] / reported[total], 1)}
    return {"phase": reported.get("phase", "")} if reported else {}
