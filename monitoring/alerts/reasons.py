"""Why a condition alert holds, in the reader's language: the component's latest health reason,
or the error of the collector's latest failed run. Shown on the alert's page, in the API and in
notifications, under the title."""

from __future__ import annotations

from m365admin.choices import AlertSource, SyncStatus
from m365admin.models import SyncRun
from m365admin.texts import render
from monitoring.models import Alert, ComponentHealth


def why(alert: Alert) -> str:
    """One line, or "" when the alert's source keeps no reason (metrics, security events)."""
    source = alert.rule.source
    if source == AlertSource.COMPONENT:
        row = ComponentHealth.objects.filter(component=alert.rule.metric).first()
        return render(row.reason_message, row.reason) if row else ""
    if source == AlertSource.SYNC and alert.tenant_id and "collector" in alert.labels:
        run = (SyncRun.objects.filter(tenant_id=alert.tenant_id, status=SyncStatus.FAILED,
                                      collector=alert.labels["collector"])
               .order_by("-started").first())
        return run.localized_error() if run else ""
    return ""
