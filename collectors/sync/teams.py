"""Teams (CONTRACT 2.6): the list gives id and name; details come by $batch, 20 per request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from collectors.sync.base import Needs, SyncContext, remove_unseen, upsert
from collectors.sync.parse import parse_bool, parse_datetime, text
from m365admin.models import Team

NEEDS = Needs(
    probe="/v1.0/teams?$top=1",
    permissions=("Team.ReadBasic.All",),
    why=_("Teams: names, visibility and archived state"),
)


def sync(ctx: SyncContext) -> None:
    started = datetime.now(UTC)
    ctx.progress.start(None, "teams")
    for page in ctx.client.iter_pages("/v1.0/teams"):
        listed = [item for item in page.items if item.get("id")]
        details = _details(ctx, [item["id"] for item in listed])
        teams = [to_model(ctx, {**item, **details.get(item["id"], {})}, started) for item in listed]
        with transaction.atomic():
            upsert(Team, teams, ["tenant", "graph_id"])
            ctx.page_done(written=len(teams), rejected=len(page.items) - len(listed))
        ctx.progress.advance(len(page.items))
    # Only a listing that reached its last page may remove teams.
    with transaction.atomic():
        ctx.count_removed(remove_unseen(Team, ctx.tenant, started))


def _details(ctx: SyncContext, team_ids: list[str]) -> dict[str, dict[str, Any]]:
    """GET /teams/{id} for each team in one round trip per 20; a failed item keeps list data."""
    requests = [{"id": str(n), "method": "GET", "url": f"/teams/{team_id}"}
                for n, team_id in enumerate(team_ids)]
    responses = ctx.client.batch(requests, version="v1.0") if requests else {}
    details = {}
    for request in requests:
        response = responses.get(request["id"])
        if response is not None and response.status == 200 and isinstance(response.body, dict):
            details[team_ids[int(request["id"])]] = response.body
    return details


def to_model(ctx: SyncContext, item: dict[str, Any], now: datetime) -> Team:
    return Team(
        tenant=ctx.tenant,
        synced=now,
        graph_id=text(item["id"], 64),
        display_name=text(item.get("displayName"), 256),
        description=text(item.get("description"), 10_000),
        visibility=text(item.get("visibility"), 32),
        is_archived=parse_bool(item.get("isArchived")),
        created_in_graph=parse_datetime(item.get("createdDateTime")),
        web_url=text(item.get("webUrl"), 1000),
    )
