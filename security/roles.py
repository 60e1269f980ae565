"""The three roles, as Django groups of permissions, kept in step with the code.

Viewer reads; Operator also acknowledges and resolves alerts, manages silences, triages
threats and accepts risks; Administrator may do everything (tenants, security settings, users
and roles). Pages, the API, the admin and the websocket all check these permissions, so a role
means the same everywhere.
Each role's permissions are listed positively, model by model; the groups are (re)built after
every `migrate`, so a model listed here gets its role's permissions as soon as it exists.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

VIEWER, OPERATOR, ADMINISTRATOR = "Viewer", "Operator", "Administrator"
ROLES = (VIEWER, OPERATOR, ADMINISTRATOR)
ROLE_LABELS = {VIEWER: _("Viewer"), OPERATOR: _("Operator"), ADMINISTRATOR: _("Administrator")}

# Every model with permissions has one decision here (tests/security/test_roles.py fails on a
# model left out), so a new model is readable by nobody but Administrators until it is listed.
# Models by label ("app_label.model_name").

# What a Viewer reads (view_* only): the M365 entities, monitoring and security events.
VIEWER_READS = frozenset({
    "m365admin.tenant", "m365admin.directoryuser", "m365admin.mailbox", "m365admin.team",
    "m365admin.onedriveaccount", "m365admin.subscribedsku", "m365admin.licenceproduct",
    "m365admin.subscription", "m365admin.heldlicence", "m365admin.licenceidle",
    "m365admin.servicehealth", "m365admin.servicehealthissue", "m365admin.signin",
    "m365admin.signinhourly", "m365admin.syncrun", "m365admin.synccheckpoint",
    "m365admin.graphusage", "m365admin.feedrecord", "m365admin.feeddelivery",
    "monitoring.alertrule", "monitoring.alert", "monitoring.alerttransition",
    "monitoring.silence", "monitoring.metricsample", "monitoring.componenthealth",
    "monitoring.requeststat",
    "security.securityevent", "security.detectionsettings", "security.detectionexception",
    "security.detectioncursor", "m365admin.preference",
})
# What an Operator may do besides: act on alerts and silences, triage the detections' events
# (a verdict) and accept risks from them on the threat pages (adding and ending exceptions;
# their admin stays with Administrators, security/admin.py).
OPERATOR_ALSO = {
    "monitoring.alert": ("change",),
    "monitoring.silence": ("add", "change", "delete"),
    "security.securityevent": ("change",),
    "security.detectionexception": ("add", "change"),
}
# Administrators only (they have every permission): configuration holding addresses, URLs and
# secrets (notification channels and their deliveries), the audit log, IP rules, the database
# console (query texts and clients), users, roles and sign-in machinery, and the task queue
# (results, claims, leases, and the workers' heartbeats with their hosts and process IDs).
ADMINISTRATORS_ONLY = frozenset({
    "admin.logentry", "auth.permission", "auth.group", "auth.user",
    "contenttypes.contenttype", "sessions.session",
    "axes.accessattempt", "axes.accessattemptexpiration", "axes.accessfailurelog",
    "axes.accesslog", "token_blacklist.outstandingtoken", "token_blacklist.blacklistedtoken",
    "otp_totp.totpdevice", "otp_static.staticdevice", "otp_static.statictoken",
    "django_tasks_database.dbtaskresult", "m365admin.taskclaim", "m365admin.tasklease",
    "m365admin.workerheartbeat",
    "monitoring.notificationchannel", "monitoring.delivery", "monitoring.deliveryattempt",
    "monitoring.databaseaction", "monitoring.querystatssnapshot",
    "monitoring.tablesizesnapshot",
    "m365admin.auditentry", "security.iprule",
})


def _granted(actions_by_model: dict[str, tuple[str, ...]]) -> Q:
    """The permissions `<action>_<model>` of each model, matched by app and codename."""
    granted = Q(pk__in=[])
    for label, actions in actions_by_model.items():
        app_label, model = label.split(".")
        granted |= Q(content_type__app_label=app_label,
                     codename__in=[f"{action}_{model}" for action in actions])
    return granted


def permissions(role: str) -> QuerySet[Permission]:
    viewer = _granted(dict.fromkeys(VIEWER_READS, ("view",)))
    if role == VIEWER:
        return Permission.objects.filter(viewer)
    if role == OPERATOR:
        return Permission.objects.filter(viewer | _granted(OPERATOR_ALSO))
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
