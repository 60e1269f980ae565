"""The database console's pages: the overview, a query's plan, and each action from its
confirmation (the exact SQL) to its result. Administrators only, like the API."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from monitoring.choices import DatabaseActionKind
from monitoring.dbconsole import actions, advice, insight, server, snapshots, worker
from monitoring.models import DatabaseAction
from monitoring.permissions import DATABASE_ACTION_PERMISSION, DATABASE_PERMISSION

logger = logging.getLogger(__name__)

console_required = permission_required(DATABASE_PERMISSION, raise_exception=True)
actions_required = permission_required(DATABASE_ACTION_PERMISSION, raise_exception=True)


def _no_answer() -> str:
    return _("PostgreSQL did not answer in time or refused the read; reload the page to try "
             "again.")


def _section(read, *args):
    """One section's rows, or the reason it cannot be shown: one slow or refused read leaves
    the rest of the page standing."""
    try:
        return {"rows": read(*args), "error": ""}
    except insight.Unavailable as exc:
        return {"rows": [], "error": str(exc)}
    except DatabaseError as exc:
        logger.warning("database console read %s failed: %s", read.__name__, exc)
        return {"rows": [], "error": _no_answer()}


@require_GET
@login_required
@console_required
def overview(request: HttpRequest) -> HttpResponse:
    if not insight.is_postgresql():
        return render(request, "monitoring/database_unavailable.html", {
            "message": insight.sqlite_message(),
            "file": settings.DATABASES["default"]["NAME"],
        })
    try:
        status = insight.status()
    except DatabaseError as exc:
        logger.warning("database console status read failed: %s", exc)
        return render(request, "monitoring/database_unavailable.html", {
            "message": _no_answer(),
        }, status=503)
    # Each catalogue read once: the suggestions reuse the tables, indexes and statements.
    tables = _section(insight.tables)
    found_indexes = _section(insight.index_list)
    statements = _section(insight.slow_queries, 500)
    indexes = _section(insight.indexes, found_indexes["rows"])
    indexes["error"] = indexes["error"] or found_indexes["error"]
    queries = {"rows": statements["rows"][:20], "error": statements["error"]}
    charts = {
        "sizes": snapshots.size_history(),
        "queries": [{"query": row["query"][:80], "percent": row["percent"]}
                    for row in queries["rows"][:10]],
    }
    connections = _section(insight.connections)
    reads = {
        "tables": tables,
        "suggested": _section(insight.missing_indexes, tables["rows"], found_indexes["rows"],
                              statements["rows"]),
        "long_running": _section(insight.long_running),
        "blocked": _section(insight.blocked),
        "cache": _section(server.cache_hit_rates),
        "sequences": _section(server.sequences),
        "settings": _section(server.server_settings),
        "replication": _section(server.replication),
        "partitions": _section(insight.partition_tables),
    }
    index_rows = indexes["rows"] or {"unused": [], "duplicate": [], "invalid": []}
    # (A read that failed gives no rows, and so no findings.)
    found = advice.findings(status=status, indexes=index_rows,
                            **{name: read["rows"] for name, read in reads.items()})
    return render(request, "monitoring/database.html", {
        **reads,
        "status": status,
        "findings": advice.shortlist(found),
        "findings_total": len(found),
        "queries": queries,
        "sequential_scans": insight.sequential_scans(tables["rows"]),
        "seq_scan_min_rows": settings.DB_CONSOLE_SEQ_SCAN_MIN_ROWS,
        "seq_scan_min_scans": settings.DB_CONSOLE_SEQ_SCAN_MIN_SCANS,
        "indexes": index_rows,
        "indexes_error": indexes["error"],
        "connections": connections,
        "pool": _section(insight.pool),
        "recent_actions": DatabaseAction.objects.select_related("requested_by")[:10],
        "charts": {**charts, "connections": [
            {"state": insight.state_words(row["state"]), "connections": row["connections"]}
            for row in connections["rows"]]},
        "kinds": DatabaseActionKind,
        "can_act": request.user.has_perm(DATABASE_ACTION_PERMISSION),
    })


@require_GET
@login_required
@console_required
def explain(request: HttpRequest, queryid: str) -> HttpResponse:
    try:
        context = {"explained": insight.explain(int(queryid)), "error": ""}
    except (insight.CannotExplain, insight.Unavailable) as exc:
        context = {"explained": None, "error": str(exc)}
    # The history outlives the statement's row in pg_stat_statements (a reset, an eviction).
    context["history"] = snapshots.query_history(int(queryid))
    context["retention_days"] = settings.DB_QUERY_STATS_RETENTION_DAYS
    return render(request, "monitoring/database_explain.html", context)


@require_GET
@login_required
@actions_required
def action_confirm(request: HttpRequest) -> HttpResponse:
    """The exact SQL the action will run, and what to know before running it."""
    kind, target, column = _action_fields(request.GET)
    try:
        plan, refusal = actions.plan(kind, target, column), ""
    except actions.Refused as refused:
        plan, refusal = None, str(refused)
    return render(request, "monitoring/database_confirm.html", {
        "plan": plan, "refusal": refusal, "kind_label": _kind_label(kind), "target": target,
    }, status=200 if plan else 409)


def _action_fields(data) -> tuple[str, str, str]:
    return data.get("kind", ""), data.get("target", ""), data.get("column", "")


def _kind_label(kind: str) -> str:
    try:
        return str(DatabaseActionKind(kind).label)
    except ValueError:
        return kind


@require_POST
@login_required
@actions_required
def action_create(request: HttpRequest) -> HttpResponse:
    kind, target, column = _action_fields(request.POST)
    try:
        action = actions.request(kind, target, column, request.POST.getlist("statement"),
                                 request.user)
    except actions.Refused as refused:
        messages.error(request, str(refused))
        query = urlencode({"kind": kind, "target": target, "column": column})
        return redirect(f"{reverse('monitoring:database-confirm')}?{query}")
    messages.success(request, _("Action #%(id)s is queued; the worker starts it within a few "
                                "seconds.") % {"id": action.pk})
    return redirect("monitoring:database-action", pk=action.pk)


@require_GET
@login_required
@console_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        DatabaseAction.objects.select_related("requested_by", "cancel_requested_by"), pk=pk)
    return render(request, "monitoring/database_action.html", {
        "action": action,
        "progress": worker.progress(action),
        "can_act": request.user.has_perm(DATABASE_ACTION_PERMISSION),
    })


@require_POST
@login_required
@actions_required
def action_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(DatabaseAction, pk=pk)
    try:
        state = worker.cancel(action, request.user)
    except actions.Refused as refused:
        messages.warning(request, str(refused))
    else:
        messages.success(request, _("Action cancelled.") if state == "cancelled" else
                         _("PostgreSQL was asked to cancel the running statement."))
    return redirect("monitoring:database-action", pk=pk)
