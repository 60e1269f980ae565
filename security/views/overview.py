"""The security page: events over time, lockouts, denied networks, top offending IPs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from m365admin.choices import Severity
from security.overview import security_overview
from security.timezones import TimeZoneForm


@require_GET
@login_required
@permission_required("security.view_securityevent", raise_exception=True)
def security_page(request: HttpRequest) -> HttpResponse:
    overview = security_overview()
    return render(request, "security/overview.html", {
        "overview": overview,
        "kind_counts": [(label, overview["by_kind"].get(kind, 0))
                        for kind, label in overview["kinds"].items()],
        "severity_counts": [(severity.label, overview["by_severity"].get(severity.value, 0))
                            for severity in reversed(Severity)],
        # The chart's data, for static/js/security.js (json_script: no inline script).
        "chart": {"hourly": [{**row, "hour": row["hour"].isoformat()}
                             for row in overview["hourly"]],
                  "kinds": overview["kinds"],
                  "since": overview["since"].isoformat(),
                  "until": overview["until"].isoformat()},
        "can_read_audit": request.user.has_perm("m365admin.view_auditentry"),
    })


@require_http_methods(["GET", "POST"])
@login_required
def time_zone(request: HttpRequest) -> HttpResponse:
    """Anyone signed in picks the zone their pages show times in."""
    form = TimeZoneForm(request.POST or None,
                        initial={"time_zone": timezone.get_current_timezone_name()})
    if request.method == "POST" and form.is_valid():
        zone = form.save(request)
        messages.success(request, _("Times are now shown in %(zone)s.") % {"zone": zone})
        return redirect("security:time-zone")
    return render(request, "security/time_zone.html", {"form": form})
