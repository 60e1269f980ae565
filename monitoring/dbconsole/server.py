"""The server-wide reads of the database console: the buffer cache's hit rate, sequences near
their type's end, the settings that matter most with advice, and replication.

Like monitoring.dbconsole.insight, every read is a short, time-bound transaction returning plain
rows for the page and the API alike.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from monitoring.dbconsole.insight import rows

# Below this the figures are noise (a table read a handful of times since the reset).
CACHE_MIN_BLOCKS = 1000
CACHE_GOOD_PERCENT = 99.0  # an OLTP database should find almost every page in memory
SEQUENCE_WARNING_PERCENT = 75.0
SEQUENCE_CRITICAL_PERCENT = 90.0
MB = 1024 * 1024


# Cache hit rate ------------------------------------------------------------------------------

def cache_hit_rates() -> dict:
    """How often tables and indexes were found in shared buffers rather than read in, for this
    database and per table (since the statistics reset). A "read" may still come from the
    operating system's cache, so a low figure is a hint to give PostgreSQL more memory."""
    per_table = rows("""
        SELECT schemaname || '.' || relname AS name,
               coalesce(heap_blks_hit, 0) AS table_hit, coalesce(heap_blks_read, 0) AS table_read,
               coalesce(idx_blks_hit, 0) AS index_hit, coalesce(idx_blks_read, 0) AS index_read
        FROM pg_statio_user_tables
        WHERE schemaname NOT LIKE 'pg\\_%%'
    """)
    totals = {key: sum(row[key] for row in per_table)
              for key in ("table_hit", "table_read", "index_hit", "index_read")}
    for row in per_table:
        row["table_percent"] = _percent(row["table_hit"], row["table_read"])
        row["index_percent"] = _percent(row["index_hit"], row["index_read"])
    low = [row for row in per_table
           if row["table_hit"] + row["table_read"] >= CACHE_MIN_BLOCKS
           and row["table_percent"] < CACHE_GOOD_PERCENT]
    return {"table_percent": _percent(totals["table_hit"], totals["table_read"]),
            "index_percent": _percent(totals["index_hit"], totals["index_read"]),
            "blocks": sum(totals.values()), "good_percent": CACHE_GOOD_PERCENT,
            "low_tables": sorted(low, key=lambda row: row["table_read"], reverse=True)[:20],
            "advice": cache_advice(totals)}


def _percent(hit: int, read: int) -> float | None:
    return round(100 * hit / (hit + read), 2) if hit + read else None


def cache_advice(totals: dict) -> str:
    """What to do about the hit rate; empty when it is good or too little was read to tell."""
    for part, hit, read in ((_("Tables"), totals["table_hit"], totals["table_read"]),
                            (_("Indexes"), totals["index_hit"], totals["index_read"])):
        if hit + read >= CACHE_MIN_BLOCKS and _percent(hit, read) < CACHE_GOOD_PERCENT:
            return _(
                "%(part)s are found in the buffer cache %(percent)s %% of the time (aim for "
                "%(good)s %%): raise shared_buffers (about a quarter of the server's memory), "
                "add memory, or cut what is read with indexes."
            ) % {"part": part, "percent": _percent(hit, read), "good": CACHE_GOOD_PERCENT}
    return ""


# Sequences -----------------------------------------------------------------------------------

def sequences() -> list[dict]:
    """Every sequence with how much of its range is used. A sequence behind a column (serial or
    identity) ends at the smaller of its own maximum and the column type's: a bigint sequence
    feeding an integer column fails at 2^31 - 1."""
    found = rows("""
        SELECT s.schemaname || '.' || s.sequencename AS name, s.data_type::text AS sequence_type,
               s.last_value, s.min_value, s.max_value, s.increment_by, s.cycle,
               owner.schema_name || '.' || owner.table_name AS "table",
               owner.column_name AS "column", owner.column_type,
               least(s.max_value, CASE owner.column_type
                   WHEN 'smallint' THEN 32767 WHEN 'integer' THEN 2147483647
                   ELSE s.max_value END) AS limit_value
        FROM pg_sequences s
        JOIN pg_namespace n ON n.nspname = s.schemaname
        JOIN pg_class seq ON seq.relname = s.sequencename AND seq.relnamespace = n.oid
        LEFT JOIN LATERAL (
            SELECT tn.nspname AS schema_name, t.relname AS table_name, a.attname AS column_name,
                   format_type(a.atttypid, NULL) AS column_type
            FROM pg_depend d
            JOIN pg_class t ON t.oid = d.refobjid
            JOIN pg_namespace tn ON tn.oid = t.relnamespace
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.objid = seq.oid
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
            LIMIT 1
        ) owner ON true
        WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')
          AND s.schemaname NOT LIKE 'pg\\_%%'
        ORDER BY name
    """)
    for row in found:
        # Counting down (a negative increment) uses up the range towards min_value.
        if row["last_value"] is None:  # never used since created (or not readable)
            row["percent"] = 0.0
        elif row["increment_by"] > 0:
            row["percent"] = round(100 * (row["last_value"] - row["min_value"] + 1)
                                   / (row["limit_value"] - row["min_value"] + 1), 2)
        else:
            row["percent"] = round(100 * (row["max_value"] - row["last_value"] + 1)
                                   / (row["max_value"] - row["min_value"] + 1), 2)
        row["severity"] = ("critical" if row["percent"] >= SEQUENCE_CRITICAL_PERCENT and
                           not row["cycle"] else
                           "warning" if row["percent"] >= SEQUENCE_WARNING_PERCENT and
                           not row["cycle"] else "")
    return sorted(found, key=lambda row: row["percent"], reverse=True)


# Settings ------------------------------------------------------------------------------------

IMPORTANT_SETTINGS = (
    "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem",
    "max_connections", "autovacuum", "autovacuum_max_workers", "autovacuum_naptime",
    "autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor",
    "autovacuum_vacuum_cost_limit",
)
_MEMORY_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem")


def server_settings() -> dict:
    """The settings that matter most, as PostgreSQL reports them, each with advice (empty when
    it looks right). Memory advice needs the server's memory: see server_memory()."""
    found = rows("""
        SELECT name, current_setting(name) AS value, setting, unit, boot_val, source,
               short_desc AS description,
               CASE WHEN name = ANY(%s) THEN pg_size_bytes(current_setting(name)) END AS bytes
        FROM pg_settings WHERE name = ANY(%s)
    """, [list(_MEMORY_SETTINGS), list(IMPORTANT_SETTINGS)])
    by_name = {row["name"]: row for row in found}
    usage = rows("""
        SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')
                   AS connections,
               temp_files, temp_bytes
        FROM pg_stat_database WHERE datname = current_database()
    """)[0]
    memory = server_memory()
    advice = settings_advice({name: row["bytes"] if row["bytes"] is not None else row["setting"]
                              for name, row in by_name.items()}, usage, memory)
    listed = [{**by_name[name], "advice": advice.get(name, ("", ""))[1],
               "severity": advice.get(name, ("", ""))[0]}
              for name in IMPORTANT_SETTINGS if name in by_name]
    return {"settings": listed, "memory_bytes": memory, "connections": usage["connections"],
            "temp_files": usage["temp_files"], "temp_bytes": usage["temp_bytes"]}


def server_memory() -> int | None:
    """The database server's memory in bytes: DB_CONSOLE_SERVER_MEMORY_MB if set; this
    machine's when the database is on it; otherwise unknown (PostgreSQL does not say)."""
    if settings.DB_CONSOLE_SERVER_MEMORY_MB:
        return settings.DB_CONSOLE_SERVER_MEMORY_MB * MB
    host = connection.settings_dict.get("HOST") or ""
    if host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/"):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None


def settings_advice(values: dict, usage: dict, memory: int | None) -> dict[str, tuple]:
    """name → (severity, advice) for the settings that look wrong. `values` holds memory
    settings in bytes and the others as PostgreSQL's text; rules of thumb as PgTune's."""
    advice: dict[str, tuple] = {}

    def number(name: str) -> float:
        return float(values[name])

    if values.get("autovacuum") == "off":
        advice["autovacuum"] = ("critical", _(
            "Autovacuum is off: dead rows pile up and transaction IDs are never frozen, until "
            "PostgreSQL stops accepting writes. Turn it on (autovacuum = on)."))
    if "max_connections" in values and usage["connections"] >= 0.8 * number("max_connections"):
        advice["max_connections"] = ("warning", _(
            "%(used)s of %(max)s connections are in use: new clients will soon be refused. "
            "Lower the pools' maximum sizes or raise max_connections (each costs memory).")
            % {"used": usage["connections"], "max": values["max_connections"]})
    if usage["temp_files"] and "work_mem" in values:
        advice["work_mem"] = ("info", _(
            "Sorts and hashes wrote %(files)s temporary files since the statistics reset: they "
            "did not fit in work_mem (%(work_mem)s MB). Raise it a little, or for the heavy "
            "queries only.") % {"files": usage["temp_files"],
                                "work_mem": round(number("work_mem") / MB, 1)})
    if memory:
        gigabytes = memory / (1024 * MB)
        for name, low, high, target in (
                ("shared_buffers", 0.15, 0.40, _("about a quarter")),
                ("effective_cache_size", 0.50, 0.90, _("about three quarters"))):
            if name in values and not low * memory <= number(name) <= high * memory:
                advice[name] = ("warning", _(
                    "%(value)s MB of the server's %(memory)s GB: set it to %(target)s of the "
                    "memory, %(suggested)s MB.") % {
                        "value": round(number(name) / MB), "memory": round(gigabytes, 1),
                        "target": target,
                        "suggested": round(memory * (0.25 if name == "shared_buffers" else 0.75)
                                           / MB)})
        if "maintenance_work_mem" in values and number("maintenance_work_mem") < min(
                0.05 * memory, 1024 * MB) / 2:
            advice["maintenance_work_mem"] = ("info", _(
                "VACUUM and index builds get %(value)s MB: about 5 %% of the memory (up to "
                "1 GB), %(suggested)s MB, makes them faster.") % {
                    "value": round(number("maintenance_work_mem") / MB),
                    "suggested": round(min(0.05 * memory, 1024 * MB) / MB)})
        if {"work_mem", "max_connections"} <= values.keys() and \
                number("work_mem") * number("max_connections") > memory:
            advice["work_mem"] = ("warning", _(
                "work_mem times max_connections is more than the server's memory: many "
                "sorts at once could run it out of memory. Lower work_mem, or the "
                "connections."))
    elif values.get("shared_buffers") is not None and number("shared_buffers") <= 128 * MB:
        advice["shared_buffers"] = ("info", _(
            "shared_buffers is at PostgreSQL's default of 128 MB, meant for a small machine: "
            "about a quarter of the server's memory is usual."))
    return advice


# Replication ---------------------------------------------------------------------------------

def replication() -> dict:
    """Each replica streaming from this server with its lag, and whether this server is itself
    a replica (with how far behind its primary it replays)."""
    state = rows("""
        SELECT pg_is_in_recovery() AS is_replica,
               CASE WHEN pg_is_in_recovery()
                    THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float
               END AS replay_delay_seconds
    """)[0]
    replicas = [] if state["is_replica"] else rows("""
        SELECT application_name, host(client_addr) AS client, state, sync_state,
               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS lag_bytes,
               extract(epoch FROM write_lag)::float AS write_lag_seconds,
               extract(epoch FROM flush_lag)::float AS flush_lag_seconds,
               extract(epoch FROM replay_lag)::float AS replay_lag_seconds
        FROM pg_stat_replication ORDER BY application_name
    """)
    return {**state, "replicas": replicas,
            "summary": "" if replicas or state["is_replica"] else _("No replicas.")}
