"""Who may see and do what in monitoring, decided in one place for the pages, the API and the
socket."""

from __future__ import annotations

DASHBOARD_PERMISSION = "monitoring.view_metricsample"
# Acknowledging and resolving alerts; an Operator's role will carry it (security/roles.py).
ACT_ON_ALERTS_PERMISSION = "monitoring.change_alert"
# The database console: reading it and running its actions are for Administrators only (query
# texts, clients and locks are infrastructure detail; the actions change the database).
DATABASE_PERMISSION = "monitoring.view_databaseaction"
DATABASE_ACTION_PERMISSION = "monitoring.add_databaseaction"


def _allowed(user, permission: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(permission))


def can_view_dashboard(user) -> bool:
    return _allowed(user, DASHBOARD_PERMISSION)


def can_act_on_alerts(user) -> bool:
    return _allowed(user, ACT_ON_ALERTS_PERMISSION)


def can_view_database(user) -> bool:
    return _allowed(user, DATABASE_PERMISSION)


def can_run_database_actions(user) -> bool:
    return _allowed(user, DATABASE_ACTION_PERMISSION)
