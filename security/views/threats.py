"""The threat pages: the detections' events per tenant, one event with its evidence and triage,
one user's timeline, the accepted risks, and the directory's posture checks.

Reading needs `view_securityevent` (Viewers). A verdict needs `change_securityevent`, accepting
a risk `add_detectionexception`, ending one early `change_detectionexception` (Operators,
security/roles.py). Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from m365admin import audit, explorer
from m365admin.choices import UserType
from m365admin.models import SignIn, Tenant
from security import posture, threat_details, threats
from security.choices import DETECTION_KINDS, EventKind
from security.filtersets import ThreatFilterSet
from security.forms import AcceptedRiskForm, PostureForm, TimelineForm, VerdictForm
from security.models import DetectionException, DetectionSettings, SecurityEvent

VIEW = "security.view_securityevent"
TRIAGE = "security.change_securityevent"
ACCEPT_RISK = "security.add_detectionexception"
END_RISK = "security.change_detectionexception"

THREAT_FILTERS = ("tenant", "kind", "ip", "user", "verdict")
# An event is a dense row (accounts, addresses, countries, its window): 50 took 40 ms to render.
EVENTS_PER_PAGE = 25
APP_KINDS = {kind.value for kind in EventKind} - {kind.value for kind in DETECTION_KINDS}


def _get_event(pk: int) -> SecurityEvent:
    """A detection's event (attacks on this app have no evidence here: /security/ shows them).
    Detections always name their tenant; one without would make a risk accepted from it
    apply to every tenant."""
    events = threats.detection_events().filter(tenant__isnull=False).select_related("tenant")
    return get_object_or_404(events, pk=pk)


# Threats ------------------------------------------------------------------------------------


def _with_addresses(events: list[SecurityEvent]) -> list[tuple[SecurityEvent, list[str]]]:
    found = threats.addresses(events)
    return [(event, found.get(event.pk, [])) for event in events]


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def threat_list(request: HttpRequest) -> HttpResponse:
    """Per day and detection over 30 days, the latest events, and the countries they came from."""
    if request.GET.get("kind") in APP_KINDS:
        # An alert on an attack on this app links here like the others: those events are on
        # the security page.
        return redirect("security:overview")
    filterset = ThreatFilterSet(request.GET, queryset=threats.detection_events())
    events, problems = explorer.filtered(filterset, threats.detection_events())
    filters_ignored = bool(problems)
    # As securityevent_latest is ordered (PostgreSQL's DESC puts NULLs first; detections
    # always have a window), so a page reads its rows' index entries instead of sorting every
    # event.
    latest = events.select_related("tenant").order_by(
        F("window_end").desc(nulls_first=True), "-id")
    page, page_problem = explorer.offset_page(latest, request.GET.get("page"), EVENTS_PER_PAGE)
    if page_problem:
        problems.append(page_problem)
    summary = threats.summary(events)
    chart = summary.chart
    return render(request, "security/threat_list.html", {
        "filter_fields": explorer.filter_fields(filterset, THREAT_FILTERS),
        "problems": problems,
        "filters_ignored": filters_ignored,
        "page_obj": page,
        "rows": _with_addresses(list(page)),
        "countries": summary.countries,
        "chart": chart,
        "chart_total": sum(series["total"] for series in chart["series"]),
        "days": threats.DAYS,
        # Detections read stored sign-ins: say which tenants Graph gives none.
        "without_sign_in_logs": list(Tenant.objects.without_sign_in_logs().order_by("name")),
    })


# One event ----------------------------------------------------------------------------------


def _risk_initial(event: SecurityEvent, signins: list[SignIn]) -> dict:
    """The narrowest scope the event names: its detection, its one user, address, country."""
    ips = {s.ip_address for s in signins if s.ip_address}
    network = event.ip_address or (ips.pop() if len(ips) == 1 else "")
    return {
        "kind": event.kind,
        "user": event.users[0] if len(event.users) == 1 else "",
        "network": network,
        "country": event.countries[0] if len(event.countries) == 1 else "",
    }


def _event_page(request: HttpRequest, event: SecurityEvent,
                risk_form: AcceptedRiskForm | None = None) -> HttpResponse:
    signins = threats.evidence(event)
    return render(request, "security/threat_event.html", {
        "event": event,
        "signins": signins,
        "missing": len(event.evidence) - len(signins),
        "counted": event.details.get("sign_ins", len(event.evidence)),
        "details": threat_details.readable(event.details),
        "can_triage": request.user.has_perm(TRIAGE),
        "can_accept": request.user.has_perm(ACCEPT_RISK),
        "verdict_form": VerdictForm(initial={"verdict": event.verdict,
                                             "note": event.verdict_note}),
        "risk_form": risk_form or AcceptedRiskForm(initial=_risk_initial(event, signins)),
    })


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def threat_event(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_page(request, _get_event(pk))


@require_POST
@login_required
@permission_required(TRIAGE, raise_exception=True)
def threat_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    event = _get_event(pk)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(explorer.form_problems(form)))
        return redirect("security:threat-event", pk=event.pk)
    verdict, note = form.cleaned_data["verdict"], form.cleaned_data["note"]
    with transaction.atomic():
        previous = event.record_verdict(verdict, note, request.user.get_username())
        audit.record("threat.verdict", event, {
            "verdict": verdict, "previous": previous, "note": note, "kind": event.kind,
            "tenant": str(event.tenant.code),
        })
    messages.success(request, _("Verdict recorded: %(verdict)s.")
                     % {"verdict": event.get_verdict_display()})
    return redirect("security:threat-event", pk=event.pk)


@require_POST
@login_required
@permission_required(ACCEPT_RISK, raise_exception=True)
def threat_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the risk an event shows: matching findings are suppressed until it expires."""
    event = _get_event(pk)
    form = AcceptedRiskForm(request.POST, instance=DetectionException(
        tenant=event.tenant, author=request.user.get_username(), created=timezone.now()))
    if not form.is_valid():
        return _event_page(request, event, risk_form=form)
    with transaction.atomic():
        exception = form.save()
        audit.record("threat.exception_added", exception, {
            "event": event.pk, "tenant": str(event.tenant.code),
            "kind": exception.kind, "user": exception.user, "network": exception.network,
            "country": exception.country, "reason": exception.reason,
            "expires": exception.expires,
        })
    until = timezone.localtime(exception.expires).strftime("%Y-%m-%d %H:%M")
    messages.success(request, _("Risk accepted until %(expires)s: matching findings are not "
                                "recorded until then.") % {"expires": until})
    return redirect("security:threat-event", pk=event.pk)


# One user -----------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def threat_user(request: HttpRequest) -> HttpResponse:
    """An account's sign-ins over 30 days, with the detections that involved each one."""
    form = TimelineForm(request.GET or None)
    problems = explorer.form_problems(form) if form.is_bound else []
    timeline = None
    if form.is_bound and not problems:
        timeline = threats.timeline(form.cleaned_data["user"], form.cleaned_data["tenant"])
    return render(request, "security/threat_user.html", {
        "filter_fields": [form["tenant"], form["user"]],
        "problems": problems,
        "timeline": timeline,
        "rows": [(s, timeline.marks.get(s.pk, [])) for s in timeline.signins] if timeline else [],
        "account": form.cleaned_data["user"] if timeline else "",
        "tenant": form.cleaned_data["tenant"] if timeline else None,
        "limit": threats.TIMELINE_LIMIT,
        "days": threats.DAYS,
    })


# Accepted risks -----------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def accepted_risks(request: HttpRequest) -> HttpResponse:
    """Risks in force (soonest to expire first), then the expired ones, newest first."""
    now = timezone.now()
    every = DetectionException.objects.select_related("tenant")
    expired, problem = explorer.offset_page(
        every.filter(expires__lte=now).order_by("-expires", "-pk"), request.GET.get("page"))
    return render(request, "security/accepted_risks.html", {
        "active": list(every.filter(expires__gt=now).order_by("expires", "pk")),
        "page_obj": expired,
        "problems": [problem] if problem else [],
        "can_end": request.user.has_perm(END_RISK),
    })


@require_POST
@login_required
@permission_required(END_RISK, raise_exception=True)
def accepted_risk_end(request: HttpRequest, pk: int) -> HttpResponse:
    exception = get_object_or_404(DetectionException, pk=pk)
    expires = exception.expires
    with transaction.atomic():
        ended = exception.end(timezone.now())
        if ended:
            audit.record("threat.exception_ended", exception, {
                "expires_was": expires, "reason": exception.reason})
    if ended:
        messages.success(request, _("The accepted risk has ended: matching findings are "
                                    "recorded again."))
    else:
        messages.warning(request, _("That accepted risk had already expired."))
    return redirect("security:accepted-risks")


# Posture ------------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def posture_page(request: HttpRequest) -> HttpResponse:
    """Idle licensed accounts and their licences, guests, accounts never used, full mailboxes
    and OneDrives: for one tenant or all of them."""
    form = PostureForm(request.GET)
    problems = explorer.form_problems(form)
    data = form.cleaned_data
    # A bad value falls back to what the page shows without it (explorer.py's rule).
    tenant = data.get("tenant")
    if "tenant" in form.errors:
        problems.append(_("Showing every tenant."))
    days = data.get("days")
    if days is None:
        setting = DetectionSettings.objects.filter(tenant=tenant).first() if tenant else None
        days = setting.inactive_days if setting else DetectionSettings._meta.get_field(
            "inactive_days").default
        if "days" in form.errors:
            problems.append(_("Showing %(days)d days.") % {"days": days})
    return render(request, "security/posture.html", {
        "filter_fields": [form["tenant"], form["days"]],
        "problems": problems,
        "tenant": tenant,
        "posture": posture.posture(tenant, days),
        "full_lists": _full_lists(tenant),
    })


def _full_lists(tenant: Tenant | None) -> dict[str, str]:
    """Where each check's whole list is, for the checks an explorer can filter the same way."""
    scope = {"tenant": str(tenant.code)} if tenant else {}
    return {
        name: f"{reverse(view)}?{urlencode({**scope, **query})}"
        for name, view, query in (
            ("guests", "m365admin:user-list", {"user_type": UserType.GUEST}),
            ("mailboxes", "m365admin:mailbox-list", {"near_quota": "true"}),
            ("onedrive", "m365admin:onedrive-list", {"near_quota": "true"}),
        )
    }
