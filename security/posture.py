"""Posture checks over the synced directory: idle licensed accounts, guests, accounts never
used, mailboxes and OneDrives near their quota (/threats/posture/). What idle licences cost,
per SKU, is the licences page's (m365admin.licences).

Each check is a count plus the first ROWS rows; a fixed number of queries whatever the tenant
size. The directory's sign-in times come from Graph's signInActivity, which needs Entra ID P1:
without it they are empty, so such tenants are left out of the sign-in checks and named
(docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet, Window
from django.utils import timezone

from m365admin.choices import UserType
from m365admin.models import DirectoryUser, Mailbox, OneDriveAccount, Tenant

# Rows shown per table (five tables: 200 each took ~150 ms to render at 5,000 users, 50 each
# ~30 ms); the counts are always complete, and the explorers list the rest.
ROWS = 25


@dataclass
class Check:
    count: int
    rows: list

    @property
    def truncated(self) -> bool:
        return self.count > len(self.rows)


@dataclass
class Posture:
    days: int
    cutoff: datetime
    inactive: Check
    guests: Check
    never_used: Check
    mailboxes: Check
    onedrive: Check
    # Tenants left out of the sign-in checks: Graph gives them no sign-in data (no Entra ID P1).
    without_sign_in_logs: list[Tenant]


def _check(queryset: QuerySet) -> Check:
    """The first ROWS rows, each carrying the count of them all: one query, not two scans."""
    rows = list(queryset.annotate(matching=Window(Count("pk")))[:ROWS])
    return Check(count=rows[0].matching if rows else 0, rows=rows)


def inactive_accounts(users: QuerySet[DirectoryUser], cutoff: datetime) -> QuerySet:
    """Enabled, licensed accounts older than `cutoff` with no sign-in of any kind since:
    interactive, non-interactive (a phone's mail app refreshing its token is use) or
    successful."""
    quiet = Q()
    for name in ("last_sign_in", "last_non_interactive_sign_in", "last_successful_sign_in"):
        quiet &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lt": cutoff})
    return users.filter(quiet, Q(created_in_graph__isnull=True) | Q(created_in_graph__lt=cutoff),
                        account_enabled=True, is_licensed=True)


def never_used(users: QuerySet[DirectoryUser], cutoff: datetime) -> QuerySet:
    """Enabled accounts created before `cutoff` that have never signed in: a password nobody
    changed from the one it was given."""
    return users.filter(account_enabled=True, last_sign_in__isnull=True,
                        last_successful_sign_in__isnull=True, created_in_graph__lt=cutoff)


def posture(tenant: Tenant | None, days: int, now: datetime | None = None) -> Posture:
    cutoff = (now or timezone.now()) - timedelta(days=days)
    scope = {"tenant": tenant} if tenant is not None else {}
    users = DirectoryUser.objects.filter(deleted=False, **scope).select_related("tenant")
    blind = list(Tenant.objects.without_sign_in_logs().filter(
        **({"pk": tenant.pk} if tenant is not None else {})).order_by("name"))
    # Without sign-in data every account of such a tenant would look unused.
    seen = users.exclude(tenant__in=blind)
    idle = inactive_accounts(seen, cutoff)
    return Posture(
        days=days,
        cutoff=cutoff,
        inactive=_check(idle.order_by(F("last_sign_in").asc(nulls_first=True), "pk")),
        guests=_check(users.filter(user_type=UserType.GUEST)
                      .order_by(F("last_sign_in").asc(nulls_first=True), "pk")),
        never_used=_check(never_used(seen, cutoff).order_by("created_in_graph", "pk")),
        mailboxes=_check(Mailbox.objects.filter(Mailbox.near_quota(), is_deleted=False, **scope)
                         .select_related("tenant").order_by("-storage_used_bytes", "pk")),
        onedrive=_check(OneDriveAccount.objects.filter(OneDriveAccount.near_quota(),
                                                       is_deleted=False, **scope)
                        .select_related("tenant").order_by("-storage_used_bytes", "pk")),
        without_sign_in_logs=blind,
    )
