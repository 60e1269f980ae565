"""Directory users by delta query (CONTRACT 1.8, 2.2).

A round follows nextLinks to a deltaLink; the next run starts from that deltaLink. The
nextLink of a round in progress is checkpointed with every page, so a killed run resumes
mid-round. A 410 or an expired token (syncStateNotFound / resyncRequired) drops the links and
starts a full round; users not seen in a completed full round are marked deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from collectors.graph import GraphResyncRequired
from collectors.sync.base import Needs, SyncContext, dedupe_by
from collectors.sync.parse import parse_bool, parse_datetime, text
from m365admin.choices import UserType
from m365admin.models import DirectoryUser

SELECT = (
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,createdDateTime,"
    "assignedLicenses,department,jobTitle"
)
INITIAL_URL = f"/v1.0/users/delta?$select={SELECT}"

# Graph property -> (model field, converter). Properties absent from an item are left as they
# are: in a delta round an updated user may carry only some of them.
_PROPERTIES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "userPrincipalName": ("user_principal_name", lambda v: text(v, 320)),
    "displayName": ("display_name", lambda v: text(v, 256)),
    "mail": ("mail", lambda v: text(v, 320)),
    "department": ("department", lambda v: text(v, 128)),
    "jobTitle": ("job_title", lambda v: text(v, 128)),
    "accountEnabled": ("account_enabled", parse_bool),
    "userType": ("user_type", lambda v: _user_type(v)),
    "createdDateTime": ("created_in_graph", parse_datetime),
    "assignedLicenses": ("assigned_licenses", lambda v: _licences(v)),
}
_UPDATE_FIELDS = sorted(
    {field for field, _ in _PROPERTIES.values()}
    | {"is_licensed", "deleted", "deleted_reason", "synced"}
)


NEEDS = Needs(
    probe="/v1.0/users?$select=id&$top=1",
    permissions=("User.Read.All",),
    why=_("Users: accounts, departments and the licences assigned to them"),
)


def sync(ctx: SyncContext) -> None:
    ctx.progress.start(None, "users")
    saved = ctx.checkpoint.next_link or ctx.checkpoint.delta_link
    if saved and not ctx.on_graph_host(saved):
        _start_afresh(ctx)
    try:
        _round(ctx)
    except GraphResyncRequired:
        # The delta token expired or Graph asked for a resync: start over with a full round.
        _start_afresh(ctx)
        _round(ctx)


def _start_afresh(ctx: SyncContext) -> None:
    with transaction.atomic():
        ctx.checkpoint.delta_link = ctx.checkpoint.next_link = ""
        ctx.checkpoint.round_started = None
        ctx.checkpoint.save()


def _round(ctx: SyncContext) -> None:
    checkpoint = ctx.checkpoint
    url = checkpoint.next_link or checkpoint.delta_link or INITIAL_URL
    if url == INITIAL_URL and checkpoint.round_started is None:
        checkpoint.round_started = datetime.now(UTC)
    for page in ctx.client.iter_pages(url):
        with transaction.atomic():
            written, removed = write_page(ctx, page.items)
            checkpoint.next_link = page.next_link or ""
            if page.delta_link:
                checkpoint.delta_link = page.delta_link
                removed += _finish_full_round(ctx)
            ctx.page_done(written=written, removed=removed)
        ctx.progress.advance(len(page.items))


def _finish_full_round(ctx: SyncContext) -> int:
    """After a full round, users we hold but Graph no longer listed are gone."""
    started = ctx.checkpoint.round_started
    if started is None:
        return 0
    ctx.checkpoint.round_started = None
    return DirectoryUser.objects.filter(
        tenant=ctx.tenant, deleted=False, synced__lt=started
    ).update(deleted=True, deleted_reason="missing")


def write_page(ctx: SyncContext, items: list[dict[str, Any]]) -> tuple[int, int]:
    """Upsert one delta page; returns (written, removed)."""
    # Replays: the same user may appear more than once, in any order; later wins.
    items = dedupe_by((i for i in items if i.get("id")), lambda item: item["id"])
    existing = {
        user.graph_id: user
        for user in DirectoryUser.objects.filter(
            tenant=ctx.tenant, graph_id__in=[item["id"] for item in items]
        )
    }
    now = datetime.now(UTC)
    users, removed = [], 0
    for item in items:
        user = existing.get(item["id"])
        if user is None and "@removed" in item:
            continue  # removed before we ever saw it: nothing to keep
        user = user or DirectoryUser(tenant=ctx.tenant, graph_id=item["id"])
        user.synced = now
        if "@removed" in item:
            reason = (item["@removed"] or {}).get("reason") or "deleted"
            user.deleted, user.deleted_reason = True, text(reason, 16)
            removed += 1
        else:
            _apply(user, item)
        users.append(user)
    DirectoryUser.objects.bulk_create(
        users,
        update_conflicts=True,
        unique_fields=["tenant", "graph_id"],
        update_fields=_UPDATE_FIELDS,
    )
    return len(users) - removed, removed


def _apply(user: DirectoryUser, item: dict[str, Any]) -> None:
    for name, (field, convert) in _PROPERTIES.items():
        if name in item:
            setattr(user, field, convert(item[name]))
    user.is_licensed = bool(user.assigned_licenses)
    # A user that is listed again after a soft delete has been restored.
    user.deleted, user.deleted_reason = False, ""


def _user_type(value: Any) -> str:
    if isinstance(value, str):
        for choice in (UserType.MEMBER, UserType.GUEST):
            if value.lower() == choice.lower():
                return choice
    return UserType.OTHER


def _licences(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [
        {"skuId": str(entry.get("skuId", "")), "disabledPlans": list(entry.get("disabledPlans") or [])}
        for entry in value
        if isinstance(entry, dict) and entry.get("skuId")
    ]
