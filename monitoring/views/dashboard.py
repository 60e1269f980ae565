"""The live dashboard page: server-rendered shell, filled by static/js/dashboard.js."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from m365admin.choices import Component, HealthStatus, Severity
from monitoring.permissions import can_act_on_alerts, can_view_dashboard


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    return render(request, "monitoring/dashboard.html", {
        # Labels the script needs, translated here so the page speaks the user's language.
        "labels": {
            "components": {str(c.value): str(c.label) for c in Component},
            "statuses": {str(s.value): str(s.label) for s in HealthStatus},
            "severities": {str(s.value): str(s.label) for s in Severity},
        },
        # The alerts panel lists alerts with view_alert; its buttons need change_alert.
        "alerts": {
            "can_view": request.user.has_perm("monitoring.view_alert"),
            "can_act": can_act_on_alerts(request.user),
        },
    })
