"""The three roles, as Django groups of permissions, kept in step with the code.

Viewer reads; Operator also acknowledges and resolves alerts, manages silences, triages
threats and accepts risks; Administrator may do everything (tenants, security settings, users
and roles). Pages, the API, the admin and the websocket all check these permissions, so a role
means the same everywhere.
The groups are (re)built after every `migrate`, so a new model's permissions join its role.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

VIEWER, OPERATOR, ADMINISTRATOR = "Viewer", "Operator", "Administrator"
ROLES = (VIEWER, OPERATOR, ADMINISTRATOR)
ROLE_LABELS = {VIEWER: _("Viewer"), OPERATOR: _("Operator"), ADMINISTRATOR: _("Administrator")}

# What a Viewer reads: the M365 entities, monitoring and security events (not the audit log,
# the IP rules, notification channels, whose addresses and URLs are configuration, nor the
# database console, which shows query texts and clients: Administrators only).
_VIEWED_APPS = ("m365admin", "monitoring", "security")
_NOT_FOR_VIEWERS = Q(content_type__app_label="m365admin", codename="view_auditentry") | Q(
    content_type__app_label="security", codename="view_iprule") | Q(
    content_type__app_label="monitoring",
    codename__in=["view_notificationchannel", "view_delivery", "view_deliveryattempt",
                  "view_databaseaction",
                  "view_querystatssnapshot", "view_tablesizesnapshot"],
)
# Operators act on alerts and silences, triage the detections' events (a verdict) and accept
# risks from them on the threat pages (adding and ending exceptions; their admin stays with
# Administrators, security/admin.py).
_OPERATOR_EXTRA = Q(content_type__app_label="monitoring", codename="change_alert") | Q(
    content_type__app_label="monitoring", codename__endswith="_silence"
) | Q(content_type__app_label="security", codename__in=[
    "change_securityevent", "add_detectionexception", "change_detectionexception",
])


def permissions(role: str) -> QuerySet[Permission]:
    viewer = Permission.objects.filter(
        content_type__app_label__in=_VIEWED_APPS, codename__startswith="view_"
    ).exclude(_NOT_FOR_VIEWERS)
    if role == VIEWER:
        return viewer
    if role == OPERATOR:
        return viewer | Permission.objects.filter(_OPERATOR_EXTRA)
    if role == ADMINISTRATOR:
        return Permission.objects.all()
    raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")


def sync_groups(**kwargs) -> None:
    """post_migrate: one group per role with exactly its permissions."""
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions(role))


def assign(user, role: str) -> None:
    """Give `user` exactly one role; Operators and Administrators may use the admin site."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    user.groups.set([Group.objects.get(name=role)])
    user.is_staff = role in (OPERATOR, ADMINISTRATOR)
    user.save(update_fields=["is_staff"])


def role_of(user) -> str | None:
    """The user's highest role (superusers are Administrators)."""
    if user.is_superuser:
        return ADMINISTRATOR
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in reversed(ROLES) if role in names), None)
