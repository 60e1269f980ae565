"""Who may see the live dashboard, decided in one place for the page, the API and the socket."""

from __future__ import annotations

DASHBOARD_PERMISSION = "monitoring.view_metricsample"


def can_view_dashboard(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(DASHBOARD_PERMISSION))

# Acknowledging and resolving alerts; an Operator's role will carry it (security/roles.py).
ACT_ON_ALERTS_PERMISSION = "monitoring.change_alert"


def can_act_on_alerts(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and user.has_perm(ACT_ON_ALERTS_PERMISSION))
