"""Server-rendered pages for the M365 entities: the tenants page and the explorers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from m365admin import explorer, signin_groups
from m365admin.choices import SignInStatus
from m365admin.filtersets import (
    DirectoryUserFilterSet,
    MailboxFilterSet,
    OneDriveAccountFilterSet,
    SignInFilterSet,
    TeamFilterSet,
)
from m365admin.lib import csvstream
from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    SignIn,
    SignInHourly,
    Team,
    Tenant,
)
from m365admin.overview import tenant_overviews

if TYPE_CHECKING:
    from m365admin.models.signins import SignInQuerySet


@require_GET
@login_required
@permission_required("m365admin.view_tenant", raise_exception=True)
def tenant_list(request: HttpRequest) -> HttpResponse:
    """Every tenant with its counts and the latest run of each collector."""
    expiring = Tenant.objects.secret_expiring(timezone.localdate()).values_list("pk", flat=True)
    return render(request, "m365admin/tenant_list.html", {
        "overviews": tenant_overviews(), "secrets_expiring": set(expiring),
        "max_attempts": settings.TASK_MAX_ATTEMPTS,
    })


# Sign-ins -----------------------------------------------------------------------------------

SIGNIN_FILTERS = (
    "since", "until", "tenant", "user", "status", "country", "app", "client_app_used",
    "ip_address", "risk_level_during_sign_in", "risk_state", "risky",
)
# Header → cell. The headers are the model's field names, not translated labels: a file
# that scripts read must not change with the language of whoever downloaded it.
SIGNIN_CSV_COLUMNS: dict[str, Callable[[SignIn], Any]] = {
    "created": lambda s: s.created.isoformat(),
    "tenant": lambda s: s.tenant.name,
    "user_principal_name": lambda s: s.user_principal_name,
    "user_display_name": lambda s: s.user_display_name,
    "user_graph_id": lambda s: s.user_graph_id,
    "app_display_name": lambda s: s.app_display_name,
    "app_id": lambda s: s.app_id,
    "client_app_used": lambda s: s.client_app_used,
    "ip_address": lambda s: s.ip_address,
    "country": lambda s: s.country,
    "city": lambda s: s.city,
    "status": lambda s: SignInStatus.SUCCEEDED if s.succeeded else SignInStatus.FAILED,
    "error_code": lambda s: s.error_code,
    "failure_reason": lambda s: s.failure_reason,
    "conditional_access_status": lambda s: s.conditional_access_status,
    "risk_level_during_sign_in": lambda s: s.risk_level_during_sign_in,
    "risk_state": lambda s: s.risk_state,
    "correlation_id": lambda s: s.correlation_id,
    "graph_id": lambda s: s.graph_id,
}


def _search_signins(
    request: HttpRequest,
) -> tuple[SignInFilterSet, SignInQuerySet, tuple[datetime, datetime], list[str]]:
    """The sign-ins the request asks for, always inside a bounded time window."""
    filterset = SignInFilterSet(request.GET)
    rows, window, problems = explorer.filtered_window(filterset, SignIn.objects.between)
    return filterset, rows.select_related("tenant"), window, problems


@require_GET
@login_required
@permission_required("m365admin.view_signin", raise_exception=True)
def signin_list(request: HttpRequest) -> HttpResponse:
    """Sign-ins newest first, 50 a page, paged by keyset; or, with `group`, their counts per
    reason, application, country, user, address or client app."""
    filterset, rows, (start, end), problems = _search_signins(request)
    filters_ignored = bool(problems)
    context: dict[str, Any] = {
        "filter_fields": explorer.filter_fields(filterset, SIGNIN_FILTERS),
        "filters_ignored": filters_ignored,
        "start": start,
        "end": end,
        "quick_ranges": explorer.quick_ranges(timezone.localtime()),
        "groupings": signin_groups.GROUPINGS,
    }
    key = request.GET.get("group")
    if key in signin_groups.GROUPINGS:
        hours = _rollups_for(filterset, filters_ignored)
        context.update(group=key, grouped=_linked_groups(request, rows, key, (start, end), hours))
    else:
        if key:
            problems.append(_("Unknown grouping; showing the list."))
        cursor = request.GET.get("cursor")
        page, next_cursor, cursor_problem = explorer.keyset_page(rows, cursor)
        if cursor_problem:
            problems.append(cursor_problem)
        context.update(signins=page, next_cursor=next_cursor,
                       first_page=not cursor or bool(cursor_problem))
    return render(request, "m365admin/signin_list.html", {**context, "problems": problems})


def _rollups_for(filterset: SignInFilterSet, ignored: bool) -> QuerySet[SignInHourly] | None:
    """The hourly rollups that can count the whole hours of this search: those of its tenant
    or of all, when nothing but the tenant and the time range narrows it."""
    if ignored:  # the default window of every tenant
        return SignInHourly.objects.all()
    data = filterset.form.cleaned_data
    if any(value not in (None, "") for name, value in data.items()
           if name not in ("since", "until", "tenant")):
        return None
    hours = SignInHourly.objects.all()
    return hours.filter(tenant__code=data["tenant"]) if data.get("tenant") else hours


def _linked_groups(request: HttpRequest, rows: QuerySet[SignIn], key: str,
                   window: tuple[datetime, datetime],
                   hours: QuerySet[SignInHourly] | None) -> dict[str, Any]:
    """The groups, each with the list URL that shows its rows (this page's filters plus it)."""
    found = signin_groups.group(rows, key, window, hours)
    linked = []
    for group in found.groups:
        url = None
        if group.filter is not None:
            params = request.GET.copy()
            for name in ("group", "cursor"):
                params.pop(name, None)
            for name, value in group.filter.items():
                params[name] = value  # replaces, where update() would add a second value
            url = f"?{params.urlencode()}"
        linked.append((group, url))
    return {"label": signin_groups.GROUPINGS[key].label, "total": found.total,
            "groups": linked, "other": found.other}


@require_GET
@login_required
@permission_required("m365admin.view_signin", raise_exception=True)
def signin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Every field of one sign-in: who, when, the outcome and why, location, device, risk."""
    signin = get_object_or_404(SignIn.objects.select_related("tenant"), pk=pk)
    return render(request, "m365admin/signin_detail.html", {"signin": signin})


@require_GET
@login_required
@permission_required("m365admin.view_signin", raise_exception=True)
def signin_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered sign-ins as CSV, streamed: the same filters and window as the list."""
    _filterset, rows, (start, end), problems = _search_signins(request)
    if problems:
        # A file of other rows would hide what is wrong; scripts read the reason from the 400.
        return HttpResponseBadRequest(
            _("No export: %(problems)s") % {"problems": " ".join(problems)},
            content_type="text/plain; charset=utf-8",
        )
    signins = rows.order_by("-created", "-pk").iterator(chunk_size=2000)
    return csvstream.csv_response(
        list(SIGNIN_CSV_COLUMNS),
        ([cell(signin) for cell in SIGNIN_CSV_COLUMNS.values()] for signin in signins),
        filename=f"sign-ins-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
                 f"-{end.astimezone(UTC):%Y%m%dT%H%M%SZ}.csv",
        asynchronous=isinstance(request, ASGIRequest),
    )


# Users and workloads: small tables, paged by offset -------------------------------------

USER_SORTING = explorer.Sorting(
    "upn", upn="user_principal_name", name="display_name", department="department",
    last_sign_in="last_seen", tenant="tenant__name",
)
MAILBOX_SORTING = explorer.Sorting(
    "upn", upn="user_principal_name", name="display_name", storage="storage_used_bytes",
    items="item_count", last_activity="last_activity_date",
)
TEAM_SORTING = explorer.Sorting(
    "name", name="display_name", visibility="visibility", created="created_in_graph",
)
ONEDRIVE_SORTING = explorer.Sorting(
    "owner", owner="owner_principal_name", name="owner_display_name",
    storage="storage_used_bytes", files="file_count", last_activity="last_activity_date",
)


@require_GET
@login_required
@permission_required("m365admin.view_directoryuser", raise_exception=True)
def user_list(request: HttpRequest) -> HttpResponse:
    context = explorer.directory_context(
        request, DirectoryUserFilterSet, DirectoryUser.objects.select_related("tenant"),
        USER_SORTING,
        ("tenant", "q", "user_type", "department", "account_enabled", "is_licensed", "deleted"),
    )
    return render(request, "m365admin/user_list.html", context)


@require_GET
@login_required
@permission_required("m365admin.view_mailbox", raise_exception=True)
def mailbox_list(request: HttpRequest) -> HttpResponse:
    context = explorer.directory_context(
        request, MailboxFilterSet, Mailbox.objects.select_related("tenant"), MAILBOX_SORTING,
        ("tenant", "q", "near_quota", "has_archive", "is_deleted"),
    )
    return render(request, "m365admin/mailbox_list.html", context)


@require_GET
@login_required
@permission_required("m365admin.view_team", raise_exception=True)
def team_list(request: HttpRequest) -> HttpResponse:
    context = explorer.directory_context(
        request, TeamFilterSet, Team.objects.select_related("tenant"), TEAM_SORTING,
        ("tenant", "q", "visibility", "is_archived"),
    )
    return render(request, "m365admin/team_list.html", context)


@require_GET
@login_required
@permission_required("m365admin.view_onedriveaccount", raise_exception=True)
def onedrive_list(request: HttpRequest) -> HttpResponse:
    context = explorer.directory_context(
        request, OneDriveAccountFilterSet, OneDriveAccount.objects.select_related("tenant"),
        ONEDRIVE_SORTING, ("tenant", "q", "near_quota", "is_deleted"),
    )
    return render(request, "m365admin/onedrive_list.html", context)
