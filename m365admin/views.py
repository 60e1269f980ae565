"""Server-rendered pages for the M365 entities."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from m365admin.overview import tenant_overviews


@require_GET
@login_required
@permission_required("m365admin.view_tenant", raise_exception=True)
def tenant_list(request: HttpRequest) -> HttpResponse:
    """Every tenant with its counts and the latest run of each collector."""
    return render(request, "m365admin/tenant_list.html", {"overviews": tenant_overviews()})
