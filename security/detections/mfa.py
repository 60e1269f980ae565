"""MFA gaps: interactive sign-ins that succeeded with a single factor, by accounts that matter.

Counted: successful interactive sign-ins whose authenticationRequirement is
`singleFactorAuthentication`, by a privileged account (DetectionSettings.privileged_accounts,
recorded at ERROR) or a licensed member of the directory (DirectoryUser.is_licensed, user type
Member, matched by object id; WARNING). Guests authenticate at home and unlicensed accounts
(rooms, shared mailboxes) are covered elsewhere. One event per user and UTC day.

authenticationRequirement comes only from the beta sign-in endpoint (GRAPH_SIGNINS_BETA): on
v1.0 it is empty on every sign-in and this finds nothing, never a false positive. Empty or
unknown values are never read as single-factor.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import models
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity, UserType
from m365admin.models import DirectoryUser
from m365admin.registry.detections import Kind, detection
from security.detections.base import Context, Finding, Row
from security.detections.history import user_key
from security.models import DetectionSettings

MFA_GAP = Kind("mfa_gap", _("Single-factor sign-in"), Severity.WARNING)
SINGLE_FACTOR = "singlefactorauthentication"  # compared lower-cased: Graph's enums vary in case


class Reason(models.TextChoices):
    """Why the account is watched (the events' `reason` detail)."""

    PRIVILEGED = "privileged", _("Privileged account")
    LICENSED_MEMBER = "licensed_member", _("Licensed member")


def single_factor(row: Row) -> bool:
    return (row.succeeded and row.is_interactive is True
            and row.authentication_requirement.strip().lower() == SINGLE_FACTOR)


@detection(MFA_GAP)  # reads privileged_accounts, a setting of security/detections/accounts.py
def detect(ctx: Context) -> list[Finding]:
    single = [r for r in ctx.new if single_factor(r)]
    if not single:
        return []  # the usual case on v1.0: not even a query
    privileged = DetectionSettings.lines(ctx.settings.privileged_accounts)
    ids = {r.user_graph_id for r in single if r.user_graph_id and r.user not in privileged}
    # The only query: which of these accounts are licensed members.
    members = set(DirectoryUser.objects.filter(
        tenant=ctx.tenant, graph_id__in=ids, is_licensed=True, user_type=UserType.MEMBER,
    ).values_list("graph_id", flat=True)) if ids else set()

    groups: dict[tuple[str, str, Reason], list[Row]] = defaultdict(list)
    for row in single:
        if row.user in privileged:
            reason = Reason.PRIVILEGED
        elif row.user_graph_id in members:
            reason = Reason.LICENSED_MEMBER
        else:
            continue
        groups[(user_key(row), row.created.date().isoformat(), reason)].append(row)
    return [
        Finding(
            MFA_GAP, f"mfa_gap:{ctx.tenant.pk}:{user}:{day}", evidence,
            users=sorted({r.user for r in evidence}),
            severity=Severity.ERROR if reason == Reason.PRIVILEGED else None,
            details={"reason": reason.value,
                     "apps": sorted({r.app_display_name for r in evidence if r.app_display_name})},
        )
        for (user, day, reason), evidence in groups.items()
    ]
