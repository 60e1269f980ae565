"""The security page: events over time, lockouts, denied networks, top offending IPs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from monitoring.choices import Severity
from security.overview import security_overview


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
        "can_read_audit": request.user.has_perm("security.view_auditentry"),
    })
