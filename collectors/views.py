"""Tenant onboarding pages (Administrators): the guided form with its connection test, and
"Sync now" with its progress."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from collectors import onboarding
from collectors.sync.runner import COLLECTORS
from m365admin import audit
from m365admin.choices import Collector, SyncStatus
from m365admin.models import SyncRun, Tenant
from m365admin.tenant_form import TenantForm

# A collector of the requested sync that has not started yet.
_WAITING = "waiting"


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("m365admin.add_tenant", raise_exception=True)
def tenant_add(request: HttpRequest) -> HttpResponse:
    return _tenant_form(request, Tenant())


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("m365admin.change_tenant", raise_exception=True)
def tenant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _tenant_form(request, get_object_or_404(Tenant, pk=pk))


def _tenant_form(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The guided form. "Test connection" (action=test) tries the entered values without
    saving anything; "Save" stores them and leads to the tenant's card and its "Sync now"."""
    creating = tenant.pk is None
    form = TenantForm(request.POST or None, instance=tenant)
    testing = request.method == "POST" and request.POST.get("action") == "test"
    report = None
    if request.method == "POST" and form.is_valid():
        if testing:
            report = onboarding.check_connection(form.save(commit=False))
        else:
            saved = _save(form, creating)
            messages.success(request, _("Tenant “%(name)s” saved. Sync it now to fetch its "
                                        "data.") % {"name": saved.name})
            return redirect(f"{reverse('m365admin:tenant-list')}#tenant-{saved.pk}")
    return render(request, "collectors/tenant_form.html", {
        "form": form,
        "creating": creating,
        "tenant": tenant,
        "testing": testing,
        "report": report,
        "permissions": onboarding.permissions(),
        "consent_template": onboarding.CONSENT_URL,
        "consent_url": _consent_url(form),
    })


def _consent_url(form: TenantForm) -> str:
    """The admin-consent link for the app the form names, once both IDs look right."""
    values = form.cleaned_data if form.is_bound else {
        name: getattr(form.instance, name) for name in ("tenant_id", "client_id")}
    if values.get("tenant_id") and values.get("client_id"):
        return onboarding.consent_url(values["tenant_id"], values["client_id"])
    return ""


def _save(form: TenantForm, creating: bool) -> Tenant:
    """Save the tenant and record it in the audit log (never the secret itself)."""
    with transaction.atomic():
        tenant: Tenant = form.save()
        if creating:
            audit.record("tenant.create", tenant, {
                "tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
                "secret_expires": tenant.secret_expires,
            })
            return tenant
        changed = [name for name in form.changed_data if name != "client_secret"]
        if changed:
            audit.record("tenant.change", tenant, {"fields": changed})
        if form.secret_changed():
            audit.record("tenant.secret_change", tenant,
                         {"secret_expires": tenant.secret_expires})
    return tenant


@require_POST
@login_required
@permission_required("m365admin.change_tenant", raise_exception=True)
def tenant_sync(request: HttpRequest, pk: int) -> HttpResponse:
    """"Sync now": ask the scheduler to run every collector of the tenant at once."""
    tenant = get_object_or_404(Tenant, pk=pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not tenant.enabled:
        refusal = _("This tenant is disabled: enable it before syncing it.")
        if wants_json:
            return JsonResponse({"error": refusal}, status=409)
        messages.error(request, refusal)
    else:
        now = timezone.now()
        with transaction.atomic():
            Tenant.objects.filter(pk=pk).update(sync_requested=now)
            audit.record("tenant.sync_requested", tenant)
        if wants_json:
            return JsonResponse({
                "since": now.isoformat(),
                "status": reverse("collectors:tenant-sync-status", args=[pk]),
            })
        messages.success(request, _("Sync of “%(name)s” requested.") % {"name": tenant.name})
    return redirect(f"{reverse('m365admin:tenant-list')}#tenant-{pk}")


@require_GET
@login_required
@permission_required("m365admin.change_tenant", raise_exception=True)
def tenant_sync_status(request: HttpRequest, pk: int) -> HttpResponse:
    """How far the sync requested at `since` got: each collector's run started since then."""
    tenant = get_object_or_404(Tenant, pk=pk)
    since = parse_datetime(request.GET.get("since", ""))
    if since is None or since.tzinfo is None:
        return HttpResponseBadRequest(_("Give since as an ISO 8601 time with its offset."),
                                      content_type="text/plain; charset=utf-8")
    latest: dict[str, SyncRun] = {}
    for run in SyncRun.objects.filter(tenant=tenant, started__gte=since).order_by("started"):
        latest[run.collector] = run
    rows = [_run_row(collector, latest.get(collector)) for collector in COLLECTORS]
    finished = sum(row["state"] not in (_WAITING, SyncStatus.RUNNING) for row in rows)
    return JsonResponse({
        "requested": tenant.sync_requested is not None,
        "finished": finished,
        "total": len(rows),
        "collectors": rows,
    })


def _run_row(collector: str, run: SyncRun | None) -> dict[str, Any]:
    return {
        "collector": collector,
        "label": str(Collector(collector).label),
        "state": run.status if run else _WAITING,
        "state_label": str(run.get_status_display()) if run else _("Waiting"),
        "written": run.written if run else 0,
        "error": run.error if run else "",
    }
