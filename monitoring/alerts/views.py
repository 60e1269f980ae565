"""The alert pages: a filterable list, and one alert with its history and the moves it allows.

The same rules as the admin and the API: viewing needs `view_alert`, acknowledging and resolving
`change_alert` (Operators and Administrators), and the moves are the Alert model's own methods.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from m365admin import explorer
from monitoring.alerts import grouping, moves
from monitoring.alerts.reasons import why
from monitoring.choices import OPEN_STATUSES, AlertStatus
from monitoring.filtersets import AlertFilterSet
from monitoring.forms import SILENCE_DURATIONS, AlertBulkForm, AlertNoteForm, SilenceForm
from monitoring.models import Alert, NotificationChannel, Silence
from monitoring.models.alerts import AlertConflict, silenced_until
from monitoring.permissions import ACT_ON_ALERTS_PERMISSION, can_act_on_alerts

ALERT_SORTING = explorer.Sorting(
    "-severity", then=("-last_seen",), severity="severity_rank", summary="summary",
    status="status", first_seen="first_seen", last_seen="last_seen", count="count",
)
SHOWN_FILTERS = ("status", "severity", "source", "rule", "tenant", "silenced", "held_back")
# Active silences ending this soon are marked "ending" on /alerts/silences/.
SILENCE_ENDING_SOON = timedelta(hours=1)
# The grouped list: this many kinds of alert, each with this many of its alerts listed.
GROUPS, PER_GROUP = 100, 5


@require_GET
@login_required
@permission_required("monitoring.view_alert", raise_exception=True)
def alert_list(request: HttpRequest) -> HttpResponse:
    """Firing and acknowledged alerts (silenced ones with their badge; not those held back by
    their cause) grouped by rule, the worst first, until the filters ask for others; a flat,
    sortable table for one rule, a chosen order, or `view=list`."""
    query = request.GET
    if not any(name in query for name in AlertFilterSet.base_filters):
        query = query.copy()
        query.setlist("status", list(OPEN_STATUSES))
        query["held_back"] = "false"
    request.GET = query  # the filter form and the pager's links carry the default
    alerts = Alert.objects.select_related("tenant", "rule").with_severity_rank()
    grouped = not any(name in query for name in ("rule", "sort", "view", "page"))
    if grouped:
        filterset = AlertFilterSet(query, queryset=alerts)
        rows, problems = explorer.filtered(filterset, alerts)
        groups, total = grouping.by_rule(rows, groups=GROUPS, per_group=PER_GROUP)
        context = {"filter_fields": explorer.filter_fields(filterset, SHOWN_FILTERS),
                   "problems": problems, "filters_ignored": bool(problems),
                   "groups": groups, "group_total": total}
        shown = [alert for group in groups for alert in group.alerts]
    else:
        context = explorer.directory_context(request, AlertFilterSet, alerts, ALERT_SORTING,
                                             SHOWN_FILTERS)
        shown = list(context["page_obj"])
    silences = list(Silence.objects.active())
    for alert in shown:
        alert.silenced_until = silenced_until(alert, silences)
    context.update(grouped=grouped, can_act=can_act_on_alerts(request.user),
                   bulk=AlertBulkForm(), list_query=query.urlencode())
    return render(request, "monitoring/alert_list.html", context)


@require_POST
@login_required
@permission_required(ACT_ON_ALERTS_PERMISSION, raise_exception=True)
def alert_bulk(request: HttpRequest) -> HttpResponse:
    """The ticked alerts acknowledged, resolved or silenced with one note; back to the list."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}) or not back.startswith(
            reverse("monitoring:alert-list")):
        back = reverse("monitoring:alert-list")
    form = AlertBulkForm(request.POST)
    if not form.is_valid():
        for problem in explorer.form_problems(form):
            messages.error(request, problem)
        return redirect(back)
    data = form.cleaned_data
    if data["action"] == "silence":
        ends = timezone.now() + SILENCE_DURATIONS[data["duration"]]
        for alert in data["alerts"]:
            Silence.create(rule=alert.rule, matchers=alert.labels, ends=ends,
                           reason=data["note"], author=request.user)
        messages.success(request, ngettext(
            "%(count)d alert silenced until %(ends)s.", "%(count)d alerts silenced until %(ends)s.",
            len(data["alerts"])) % {"count": len(data["alerts"]), "ends": _when(ends)})
        return redirect(back)
    text, conflicted = moves.apply(data["action"], data["alerts"], request.user,
                                         data["note"])
    (messages.warning if conflicted else messages.success)(request, text)
    return redirect(back)


@require_GET
@login_required
@permission_required("monitoring.view_alert", raise_exception=True)
def alert_detail(request: HttpRequest, code) -> HttpResponse:
    alert = _get_alert(code)
    # The dashboard's "until…" opens the form with that choice made.
    until = request.GET.get("duration") == "until"
    return _detail(request, alert, SilenceForm(alert=alert,
                                               initial={"duration": "until"} if until else None))


def _get_alert(code) -> Alert:
    return get_object_or_404(
        Alert.objects.select_related("rule", "tenant", "acknowledged_by", "resolved_by",
                                     "inhibited_by__rule", "previous__rule"),
        code=code,
    )


def _detail(request: HttpRequest, alert: Alert, silence_form: SilenceForm,
            status: int = 200) -> HttpResponse:
    alert.silenced_until = silenced_until(alert, list(Silence.objects.active()))
    deliveries = (alert.deliveries.select_related("channel").prefetch_related("history")
                  .order_by("-created")[:20])
    return render(request, "monitoring/alert_detail.html", {
        "alert": alert,
        "why": why(alert),
        "transitions": alert.transitions.select_related("actor").order_by("at", "id"),
        "held_back": alert.inhibits.select_related("rule").order_by("-last_seen")[:50],
        "deliveries": deliveries,
        "no_channel": not deliveries and not NotificationChannel.objects.filter(
            enabled=True).exists(),
        "can_act": can_act_on_alerts(request.user),
        "open": alert.status in OPEN_STATUSES,
        # A firing condition cannot be resolved: the page says why instead of a button.
        "holding": alert.holding_reason() if alert.still_holds() else "",
        "form": AlertNoteForm(),
        "silence_form": silence_form,
    }, status=status)


@require_POST
@login_required
@permission_required(ACT_ON_ALERTS_PERMISSION, raise_exception=True)
def alert_silence(request: HttpRequest, code) -> HttpResponse:
    """A silence from the alert's page: its form again with the errors, or back with it made."""
    alert = _get_alert(code)
    form = SilenceForm(request.POST, alert=alert)
    if not form.is_valid():
        return _detail(request, alert, form, status=400)
    silence = form.save(request.user)
    messages.success(request, _("Silenced until %(ends)s.") % {"ends": _when(silence.ends)})
    return redirect(alert)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


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


# Silences


@require_GET
@login_required
@permission_required("monitoring.view_alert", raise_exception=True)
def silence_list(request: HttpRequest) -> HttpResponse:
    """Active silences (those ending within the hour marked), those not started yet, and the
    ones that ended in the last day; how many unresolved alerts each mutes."""
    now = timezone.now()
    silences = list(Silence.objects.filter(ends__gt=now - timedelta(days=1))
                    .select_related("rule", "author").order_by("ends"))
    unresolved = list(Alert.objects.exclude(status=AlertStatus.RESOLVED)
                      .values_list("rule_id", "labels"))
    for silence in silences:
        silence.muting = sum(silence.matches(rule, labels) for rule, labels in unresolved)
        silence.state = ("ended" if silence.ends <= now else
                         "upcoming" if silence.starts > now else
                         "ending" if silence.ends - now <= SILENCE_ENDING_SOON else "active")
    return render(request, "monitoring/silence_list.html", {
        "silences": silences, "can_act": can_act_on_alerts(request.user),
    })


@require_POST
@login_required
@permission_required(ACT_ON_ALERTS_PERMISSION, raise_exception=True)
def silence_expire(request: HttpRequest, code) -> HttpResponse:
    silence = get_object_or_404(Silence, code=code)
    if silence.expire(request.user):
        messages.success(request, _("The silence has ended; its alerts are heard again."))
    else:
        messages.warning(request, _("This silence had already ended."))
    return redirect("monitoring:silence-list")
