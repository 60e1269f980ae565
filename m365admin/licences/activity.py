"""Who still uses a licence: each account's last sign-in, and the seats idle accounts hold.

A user's last sign-in is the latest of Graph's signInActivity (interactive, non-interactive)
and the newest stored sign-in, with where it came from, so the user list, posture and the
licences page agree. Rebuilt per tenant after the users, signInActivity and sign-in syncs.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from m365admin.choices import SignInSource
from m365admin.models import DirectoryUser, SignIn, Tenant
from m365admin.models.licences import INACTIVE_DAYS, HeldLicence, LicenceIdle


def latest_sign_in(user: DirectoryUser, stored: datetime | None) -> tuple[datetime | None, str]:
    """(when, source) of the newest of the user's sign-in times; (None, "") when none."""
    candidates = [(user.last_sign_in, SignInSource.INTERACTIVE),
                  (user.last_non_interactive_sign_in, SignInSource.NON_INTERACTIVE),
                  (stored, SignInSource.SIGN_IN_LOG)]
    known = [(when, source) for when, source in candidates if when is not None]
    return max(known, key=lambda c: c[0]) if known else (None, "")


def is_inactive(user: DirectoryUser, cutoff: datetime) -> bool:
    """Enabled, created before `cutoff` (a new hire is not idle), no sign-in since."""
    return (user.account_enabled is not False
            and (user.created_in_graph is None or user.created_in_graph < cutoff)
            and (user.last_seen is None or user.last_seen < cutoff))


def refresh_activity(tenant: Tenant, now: datetime | None = None, *,
                     assignments_changed: bool = True) -> None:
    """Recompute the tenant's last sign-ins and idle-seat counts, and its held licences when
    `assignments_changed` (after a users sync; sign-in syncs change only activity)."""
    now = now or timezone.now()
    # Stored sign-ins older than the longest threshold cannot change any figure.
    newest = dict(
        SignIn.objects.filter(tenant=tenant)
        .between(now - timedelta(days=max(INACTIVE_DAYS)), now + timedelta(minutes=5))
        .values("user_graph_id").annotate(last=Max("created"))
        .values_list("user_graph_id", "last").order_by()
    )
    activity_known = not Tenant.objects.without_sign_in_logs().filter(pk=tenant.pk).exists()
    cutoffs = {days: now - timedelta(days=days) for days in INACTIVE_DAYS}
    changed, held = [], []
    disabled: Counter[str] = Counter()
    inactive: dict[int, Counter[str]] = {days: Counter() for days in INACTIVE_DAYS}
    for user in DirectoryUser.objects.filter(tenant=tenant).only(
            "graph_id", "account_enabled", "created_in_graph", "assigned_licenses", "deleted",
            "last_sign_in", "last_non_interactive_sign_in", "last_seen", "last_seen_source"):
        seen = latest_sign_in(user, newest.get(user.graph_id))
        if seen != (user.last_seen, user.last_seen_source):
            user.last_seen, user.last_seen_source = seen
            changed.append(user)
        skus = {sku.lower() for sku in user.sku_ids() if sku}
        if user.deleted or not skus:
            continue
        if assignments_changed:
            held += [HeldLicence(tenant=tenant, user=user, sku_id=sku, synced=now)
                     for sku in skus]
        if user.account_enabled is False:
            disabled.update(skus)
        elif activity_known:
            for days, cutoff in cutoffs.items():
                if is_inactive(user, cutoff):
                    inactive[days].update(skus)
    idle = [
        LicenceIdle(tenant=tenant, sku_id=sku, synced=now, disabled=disabled[sku],
                    **{f"inactive_{days}": inactive[days][sku] for days in INACTIVE_DAYS})
        for sku in {sku for counts in (disabled, *inactive.values()) for sku in counts}
    ]
    with transaction.atomic():
        DirectoryUser.objects.bulk_update(changed, ["last_seen", "last_seen_source"],
                                          batch_size=2000)
        if assignments_changed:
            HeldLicence.objects.filter(tenant=tenant).delete()
            HeldLicence.objects.bulk_create(held, batch_size=5000)
        LicenceIdle.objects.filter(tenant=tenant).delete()
        LicenceIdle.objects.bulk_create(idle)
