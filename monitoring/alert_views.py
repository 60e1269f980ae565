"""The alert pages: a filterable list, and one alert with its history and the moves it allows.

The same rules as the admin and the API: viewing needs `view_alert`, acknowledging and resolving
`change_alert` (Operators and Administrators), and the moves are the Alert model's own methods.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from m365admin import explorer
from monitoring.choices import OPEN_STATUSES, SEVERITY_RANK
from monitoring.filtersets import AlertFilterSet
from monitoring.forms import AlertNoteForm
from monitoring.models import Alert
from monitoring.models.alerts import AlertConflict
from monitoring.permissions import ACT_ON_ALERTS_PERMISSION, can_act_on_alerts

ALERT_SORTING = explorer.Sorting(
    "-last_seen", severity="severity_rank", summary="summary", status="status",
    first_seen="first_seen", last_seen="last_seen", count="count",
)
SEVERITY_ORDER = Case(*(When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()),
                      output_field=IntegerField())


@require_GET
@login_required
@permission_required("monitoring.view_alert", raise_exception=True)
def alert_list(request: HttpRequest) -> HttpResponse:
    """Open alerts, most recently seen first, until the filters ask for others."""
    query = request.GET
    if not any(name in query for name in AlertFilterSet.base_filters):
        query = query.copy()
        query["open"] = "true"
    request.GET = query  # the filter form and the pager's links carry the default
    alerts = Alert.objects.select_related("tenant", "rule").annotate(severity_rank=SEVERITY_ORDER)
    context = explorer.directory_context(
        request, AlertFilterSet, alerts, ALERT_SORTING,
        ("open", "status", "severity", "source", "tenant"),
    )
    return render(request, "monitoring/alert_list.html", context)


@require_GET
@login_required
@permission_required("monitoring.view_alert", raise_exception=True)
def alert_detail(request: HttpRequest, code) -> HttpResponse:
    alert = get_object_or_404(
        Alert.objects.select_related("rule", "tenant", "acknowledged_by", "resolved_by",
                                     "inhibited_by", "previous"),
        code=code,
    )
    return render(request, "monitoring/alert_detail.html", {
        "alert": alert,
        "transitions": alert.transitions.select_related("actor").order_by("at", "id"),
        "held_back": alert.inhibits.order_by("-last_seen")[:50],
        "deliveries": alert.deliveries.select_related("channel").order_by("-created")[:20],
        "can_act": can_act_on_alerts(request.user),
        "open": alert.status in OPEN_STATUSES,
        # A firing condition cannot be resolved: the page says why instead of a button.
        "holding": alert.holding_reason() if alert.still_holds() else "",
        "form": AlertNoteForm(),
    })


@require_POST
@login_required
@permission_required(ACT_ON_ALERTS_PERMISSION, raise_exception=True)
def alert_move(request: HttpRequest, code, action: str) -> HttpResponse:
    alert = get_object_or_404(Alert, code=code)
    form = AlertNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("note", [])))
        return redirect(alert)
    move = {"acknowledge": alert.acknowledge, "resolve": alert.resolve}[action]
    try:
        move(request.user, form.cleaned_data["note"])
    except AlertConflict as conflict:
        messages.warning(request, str(conflict))
    else:
        messages.success(request, _("Alert acknowledged.") if action == "acknowledge"
                         else _("Alert resolved."))
    return redirect(alert)
