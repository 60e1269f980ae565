"""/teams, /teams/{id}, /teams/{id}/members, /groups, /groups/{id}."""

from __future__ import annotations

from typing import Any

from ..odata import Node, matches, path_name, walk
from ..wire import SimResponse
from .common import (
    ApiError,
    Ctx,
    page_state,
    paged_list,
    parse_filter_option,
    select_fields,
    unsupported,
)

_TEAM_LIST_FIELDS = ["id", "displayName", "description"]
_GROUP_FIELDS = ["id", "createdDateTime", "deletedDateTime", "description", "displayName",
                 "groupTypes", "mail", "mailEnabled", "mailNickname", "resourceBehaviorOptions",
                 "resourceProvisioningOptions", "securityEnabled", "visibility"]
_GROUP_FILTERABLE = {"displayname": {"eq", "startswith", "in"}, "mail": {"eq", "startswith"},
                     "mailnickname": {"eq", "startswith"}, "mailenabled": {"eq"},
                     "securityenabled": {"eq"}, "id": {"eq", "in"}, "visibility": {"eq"},
                     "createddatetime": {"ge", "le", "eq"}}
_GROUP_LAMBDAS = {"resourceprovisioningoptions", "grouptypes"}


def _check(node: Node, allowed: dict[str, set[str]], lambdas: set[str]) -> None:
    variables = {part[3] for part in walk(node) if part[0] == "lambda"}
    for part in walk(node):
        if part[0] == "lambda" and part[2][0].lower() not in lambdas:
            raise unsupported(f"Unsupported filter on '{'/'.join(part[2])}'.")
        if part[0] not in ("cmp", "call", "in"):
            continue
        op = "in" if part[0] == "in" else part[1]
        target = part[2] if part[0] == "cmp" else part[1] if part[0] == "in" else part[2][0]
        name = path_name(target)
        if name is None or target[1][0] in variables:
            continue
        if op not in allowed.get(name.lower(), set()):
            raise unsupported(f"Unsupported or invalid query filter clause specified for "
                              f"property '{name}'.")


def _filtered(ctx: Ctx, items: list[dict[str, Any]], allowed: dict[str, set[str]],
              lambdas: set[str]) -> list[dict[str, Any]]:
    node = parse_filter_option(ctx)
    if node is None:
        return items
    _check(node, allowed, lambdas)
    return [item for item in items if matches(node, item)]


def list_teams(ctx: Ctx) -> SimResponse:
    teams = list(ctx.tenant.teams.values())
    if page_state(ctx, "teams") is None:
        teams = _filtered(ctx, teams, {"displayname": {"eq", "startswith"}}, set())
    # The documented /teams example carries no @odata.context.
    return paged_list(ctx, "teams", teams, _TEAM_LIST_FIELDS, None, 100, 999)


def get_team(ctx: Ctx, team_id: str) -> SimResponse:
    team = ctx.tenant.teams.get(team_id.lower())
    if team is None:
        raise ApiError(404, "NotFound", f"No team found with Group Id {team_id}")
    body = {k: v for k, v in team.items() if not k.startswith("_")}
    return ctx.ok({"@odata.context": ctx.context_url("teams/$entity"), **body})


def team_members(ctx: Ctx, team_id: str) -> SimResponse:
    team = ctx.tenant.teams.get(team_id.lower())
    if team is None:
        raise ApiError(404, "NotFound", f"No team found with Group Id {team_id}")
    members = []
    for user_id in team["_members"]:
        user = ctx.tenant.users.get(user_id)
        if user is None:
            continue
        members.append({
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "id": f"MCMjMSMj{user_id}", "roles": ["owner"] if user_id in team["_owners"] else [],
            "displayName": user["displayName"], "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
            "userId": user_id, "email": user["mail"], "tenantId": ctx.tenant.tenant_id,
        })
    fields = ["@odata.type", "id", "roles", "displayName", "visibleHistoryStartDateTime",
              "userId", "email", "tenantId"]
    return paged_list(ctx, "members", members, fields,
                  ctx.context_url(f"teams('{team_id}')/members"), 100, 999)


def list_groups(ctx: Ctx) -> SimResponse:
    groups = ctx.tenant.groups
    if page_state(ctx, "groups") is None:
        groups = _filtered(ctx, groups, _GROUP_FILTERABLE, _GROUP_LAMBDAS)
    return paged_list(ctx, "groups", groups, _GROUP_FIELDS, ctx.context_url("groups"), 100, 999)


def get_group(ctx: Ctx, group_id: str) -> SimResponse:
    group = next((g for g in ctx.tenant.groups if g["id"] == group_id.lower()), None)
    if group is None:
        raise ApiError(404, "Request_ResourceNotFound", f"Resource '{group_id}' does not exist or "
                       "one of its queried reference-property objects are not present.")
    chosen = select_fields(ctx, _GROUP_FIELDS)
    return ctx.ok({"@odata.context": ctx.context_url("groups/$entity"),
                   **{k: group.get(k) for k in chosen}})
