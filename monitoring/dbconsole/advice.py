"""What to fix: the console's reads turned into a short ranked list of findings.

Each finding has a severity (critical, warning, info), a one-line reason with the figures, what
fixes it, and either the console action that does (the body to POST to actions/preview) or the
page section to read. Critical first; within a severity, in the order below (what stops the
database before what slows it).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from monitoring.choices import DatabaseActionKind as Kind
from monitoring.dbconsole import insight, server

logger = logging.getLogger(__name__)

SEVERITIES = ("critical", "warning", "info")
LIMIT, PER_KIND = 20, 5
DEAD_PERCENT, DEAD_ROWS = 20, 1000  # the tables list marks the same
REPLICA_LAG_SECONDS, REPLICA_LAG_BYTES = 60, 1024**3


def summary() -> dict:
    """Every read the findings need, then the findings; a read that fails is named, and the
    others still count."""
    reads, failed = {}, []
    sources = {
        "status": insight.status, "tables": insight.tables, "index_list": insight.index_list,
        "long_running": insight.long_running, "blocked": insight.blocked,
        "cache": server.cache_hit_rates, "sequences": server.sequences,
        "settings": server.server_settings, "replication": server.replication,
        "partitions": insight.partition_tables,
    }
    for name, read in sources.items():
        try:
            reads[name] = read()
        except DatabaseError as exc:
            logger.warning("database console read %s failed: %s", name, exc)
            failed.append(name)
    try:
        statements = insight.slow_queries(limit=500)
    except (insight.Unavailable, DatabaseError):
        statements = []
    found_tables, found_indexes = reads.get("tables", []), reads.get("index_list", [])
    suggested = insight.missing_indexes(found_tables, found_indexes, statements) \
        if "tables" in reads and "index_list" in reads else []
    listed = findings(
        status=reads.get("status"), tables=found_tables,
        indexes=insight.indexes(found_indexes), suggested=suggested,
        long_running=reads.get("long_running", []), blocked=reads.get("blocked", []),
        cache=reads.get("cache"), sequences=reads.get("sequences", []),
        settings=reads.get("settings"), replication=reads.get("replication"),
        partitions=reads.get("partitions", []))
    return {"stats_reset": (reads.get("status") or {}).get("stats_reset"),
            "findings": shortlist(listed), "total": len(listed), "unavailable": failed}


def shortlist(listed: list[dict]) -> list[dict]:
    """The first LIMIT findings, at most PER_KIND of a kind: twenty duplicate indexes must not
    hide the one sequence about to run out (the sections list them all)."""
    shown, counts = [], {}
    for finding in listed:
        counts[finding["kind"]] = counts.get(finding["kind"], 0) + 1
        if counts[finding["kind"]] <= PER_KIND and len(shown) < LIMIT:
            shown.append(finding)
    return shown


def findings(*, status, tables, indexes, suggested, long_running, blocked, cache, sequences,
             settings, replication, partitions) -> list[dict]:
    """The findings from reads already made (the page passes its own), most urgent first."""
    found: list[dict] = []
    add = _Adder(found)
    for row in (settings or {}).get("settings", []):
        if row["severity"] == "critical":
            add.setting(row)
    if status:
        _wraparound(add, status, tables)
    _blocked(add, blocked)
    for row in sequences:
        if row["severity"]:
            add(row["severity"], "sequence", row["name"],
                _("Sequence %(name)s has used %(percent)s %% of its range") % row,
                _("Change %(column)s to bigint in a schema migration before it runs out; "
                  "inserts fail after the last value.")
                % {"column": f"{row['table']}.{row['column']}" if row["table"] else row["name"]},
                section="sequences")
    for index in indexes["invalid"]:
        add("warning", "invalid_index", index["name"],
            _("Index %(name)s is invalid (a failed build): it slows writes and serves no "
              "read") % index, _("Rebuild it."), action=(Kind.REINDEX, index["name"]),
            section="indexes")
    _scans(add, status, tables, suggested)
    blockers = {row["blocking_pid"] for row in blocked}
    for row in long_running:
        if row["pid"] in blockers:
            continue
        add("warning", "long_running", str(row["pid"]),
            _("Backend %(pid)s (%(application)s) has been %(state)s for %(seconds)s s") % {
                "pid": row["pid"], "application": row["application_name"] or "—",
                "state": row["state"], "seconds": round(row["seconds"])},
            _("Open transactions hold back VACUUM; cancel the statement or end the session."),
            action=(Kind.CANCEL_BACKEND if row["state"] == "active" else Kind.TERMINATE_BACKEND,
                    str(row["pid"])), section="activity")
    for table in tables:
        if table["dead_percent"] >= DEAD_PERCENT and table["dead_rows"] >= DEAD_ROWS:
            add("warning", "dead_rows", table["name"],
                _("%(name)s is %(percent)s %% dead rows (%(dead)s)") % {
                    "name": table["name"], "percent": table["dead_percent"],
                    "dead": table["dead_rows"]},
                _("VACUUM reclaims them for reuse; check that autovacuum reaches the table."),
                action=(Kind.VACUUM, table["name"]), section="tables")
    if cache and cache["advice"]:
        add("warning", "cache_hit_rate", "shared_buffers", cache["advice"],
            _("Give PostgreSQL more memory or read less."), section="cache")
    _replication(add, replication)
    for index in indexes["duplicate"]:
        add("warning", "duplicate_index", index["name"],
            _("Index %(name)s is covered by %(covered_by)s") % index,
            _("Drop it: every write pays for it and no read needs it."),
            action=(Kind.DROP_INDEX, index["name"]), section="indexes")
    due = [name for table in partitions for name in table["due"]]
    if due:
        add("warning", "partitions_due", "partitions",
            _("%(count)s partitions ahead are missing (%(first)s …)")
            % {"count": len(due), "first": due[0]},
            _("Create them now; rows for a missing partition are refused."),
            action=(Kind.CREATE_PARTITIONS, "partitions"), section="partitions")
    for row in (settings or {}).get("settings", []):
        if row["severity"] in ("warning", "info"):
            add.setting(row)
    for index in indexes["unused"]:
        add("info", "unused_index", index["name"],
            _("Index %(name)s has not been scanned since the statistics reset") % index,
            _("Drop it if no rare job needs it: every write to its table pays for it."),
            action=(Kind.DROP_INDEX, index["name"]), section="indexes")
    if status and status["statements_problem"]:
        add("info", "statements", "pg_stat_statements", status["statements_problem"],
            _("Follow the steps to see which queries take the time."), section="queries")
    rank = {severity: position for position, severity in enumerate(SEVERITIES)}
    return sorted(found, key=lambda finding: rank[finding["severity"]])  # stable: keeps order


class _Adder:
    def __init__(self, found: list[dict]) -> None:
        self.found = found

    def __call__(self, severity, kind, subject, reason, fix, action=None, column="",
                 section=""):
        self.found.append({
            "severity": severity, "kind": kind, "subject": subject, "reason": reason,
            "fix": fix,
            "action": {"kind": str(action[0]), "target": action[1], "column": column}
            if action else None,
            "link": f"{reverse('monitoring:database')}#{section}"})

    def setting(self, row: dict) -> None:
        self(row["severity"], "setting", row["name"],
             _("%(name)s = %(value)s") % row, row["advice"], section="settings")


def _wraparound(add, status, tables) -> None:
    percent = status["xid_wraparound_percent"]
    if status["xid_age"] < status["freeze_max_age"] and percent < 50:
        return
    oldest = max(tables, key=lambda table: table["xid_age"] or 0, default=None)
    add("critical" if percent >= 50 else "warning", "wraparound", status["database"],
        _("The oldest transaction ID is %(percent)s %% of the way to wraparound") % {
            "percent": percent},
        _("VACUUM the oldest tables (%(table)s first) so they are frozen before PostgreSQL "
          "stops accepting writes.") % {"table": oldest["name"] if oldest else "—"},
        action=(Kind.VACUUM, oldest["name"]) if oldest else None, section="tables")


def _blocked(add, blocked) -> None:
    seen = set()
    for row in blocked:
        if row["blocking_pid"] in seen:
            continue
        seen.add(row["blocking_pid"])
        waiting = sum(1 for other in blocked if other["blocking_pid"] == row["blocking_pid"])
        add("critical", "blocked", str(row["blocking_pid"]),
            _("Backend %(blocker)s (%(state)s, transaction open %(seconds)s s) blocks "
              "%(count)s waiting statements") % {
                "blocker": row["blocking_pid"], "state": row["blocking_state"] or "—",
                "seconds": round(row["blocking_transaction_seconds"] or 0), "count": waiting},
            _("End its session if it is stuck, or wait for it to finish."),
            action=(Kind.TERMINATE_BACKEND, str(row["blocking_pid"])), section="activity")


def _scans(add, status, tables, suggested) -> None:
    since = (_("since %(moment)s") % {"moment": date_format(status["stats_reset"],
                                                             "SHORT_DATETIME_FORMAT")}
             if status and status["stats_reset"] else _("since the statistics began"))
    by_table = {row["table"]: row for row in suggested}
    for table in insight.sequential_scans(tables):
        reason = _("%(name)s (%(rows)s rows) was read by %(scans)s sequential scans %(since)s "
                   "(%(percent)s %% of its scans)") % {
            "name": table["name"], "rows": table["live_rows"], "scans": table["seq_scan"],
            "since": since, "percent": table["seq_scan_percent"]}
        suggestion = by_table.get(table["name"])
        if suggestion:
            add("warning", "sequential_scan", table["name"], reason,
                _("Create an index on (%(columns)s), the columns its statements filter on.")
                % {"columns": ", ".join(suggestion["columns"])},
                action=(Kind.CREATE_INDEX, table["name"]), column=suggestion["column"],
                section="scans")
        else:
            add("info", "sequential_scan", table["name"], reason,
                _("No recorded statement names a column to index: look at its queries' plans."),
                section="scans")


def _replication(add, replication) -> None:
    if not replication:
        return
    if replication["is_replica"] and (replication["replay_delay_seconds"] or 0) \
            > REPLICA_LAG_SECONDS:
        add("warning", "replication", "replay",
            _("This replica replays %(seconds)s s behind its primary")
            % {"seconds": round(replication["replay_delay_seconds"])},
            _("Check the primary's WAL rate and this server's I/O."), section="replication")
    for replica in replication["replicas"]:
        if (replica["replay_lag_seconds"] or 0) > REPLICA_LAG_SECONDS \
                or (replica["lag_bytes"] or 0) > REPLICA_LAG_BYTES:
            add("warning", "replication", replica["application_name"],
                _("Replica %(name)s is %(bytes)s bytes (%(seconds)s s) behind") % {
                    "name": replica["application_name"] or replica["client"],
                    "bytes": replica["lag_bytes"],
                    "seconds": round(replica["replay_lag_seconds"] or 0)},
                _("Check the replica's network and disk; the primary keeps WAL until it "
                  "catches up."), section="replication")
