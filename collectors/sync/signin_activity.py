"""Last sign-in times (users' signInActivity, CONTRACT 2.1).

Asked for in its own query because it needs Entra ID P1/P2 and AuditLog.Read.All: without
them Graph refuses the whole request, and the run is recorded as skipped, not failed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from collectors.sync.base import ENTRA_ID_P1, Needs, SyncContext, premium_licence_needed
from collectors.sync.parse import obj, parse_datetime
from m365admin.models import DirectoryUser
from m365admin.texts import message

PAGE_SIZE = 500  # the documented cap when signInActivity is selected
_FIELDS = {
    "lastSignInDateTime": "last_sign_in",
    "lastNonInteractiveSignInDateTime": "last_non_interactive_sign_in",
    "lastSuccessfulSignInDateTime": "last_successful_sign_in",
}


NEEDS = Needs(
    probe="/v1.0/users?$select=id,signInActivity&$top=1",
    permissions=("User.Read.All", "AuditLog.Read.All"),
    why=_("Each user's last sign-in, for the inactive accounts holding licences"),
    licence=ENTRA_ID_P1,
)


def sync(ctx: SyncContext) -> None:
    ctx.progress.start(None, "users")
    params = {"$select": "id,signInActivity", "$top": str(PAGE_SIZE)}
    with premium_licence_needed(message("sync.no_premium.activity")):
        for page in ctx.client.iter_pages("/v1.0/users", params=params):
            with transaction.atomic():
                ctx.page_done(written=write_page(ctx, page.items))
            ctx.progress.advance(len(page.items))


def write_page(ctx: SyncContext, items: list[dict[str, Any]]) -> int:
    activity = {item["id"]: obj(item.get("signInActivity")) for item in items if item.get("id")}
    users = list(DirectoryUser.objects.filter(tenant=ctx.tenant, graph_id__in=list(activity)))
    for user in users:
        for graph_name, field in _FIELDS.items():
            setattr(user, field, parse_datetime(activity[user.graph_id].get(graph_name)))
    DirectoryUser.objects.bulk_update(users, list(_FIELDS.values()))
    return len(users)

