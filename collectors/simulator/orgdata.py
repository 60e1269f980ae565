"""Groups, teams and service health for a SimTenant (small, generated once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import data
from .clock import DAY_US, iso
from .ids import guid, rng

if TYPE_CHECKING:
    from .tenant import SimTenant

_TEAM_SUFFIXES = ["チーム", "連絡用", "2024 プロジェクト", "Project Aozora", "Working Group", "定例会"]
_TEAM_SETTINGS = {
    "memberSettings": {"allowCreateUpdateChannels": True, "allowDeleteChannels": True,
                       "allowAddRemoveApps": True, "allowCreateUpdateRemoveTabs": True,
                       "allowCreateUpdateRemoveConnectors": True},
    "guestSettings": {"allowCreateUpdateChannels": False, "allowDeleteChannels": False},
    "messagingSettings": {"allowUserEditMessages": True, "allowUserDeleteMessages": True,
                          "allowOwnerDeleteMessages": True, "allowTeamMentions": True,
                          "allowChannelMentions": True},
    "funSettings": {"allowGiphy": True, "giphyContentRating": "strict",
                    "allowStickersAndMemes": True, "allowCustomMemes": True},
}
_ISSUE_PREFIX = {"Exchange": "EX", "OrgLiveID": "MO", "OSDPPlatform": "MO", "SharePoint": "SP",
                 "OneDriveForBusiness": "OD", "microsoftteams": "TM", "Intune": "IT",
                 "PowerBIcom": "PBI"}


def build_groups(tenant: SimTenant) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Unified groups (most with a team), security groups; team details keyed by group id."""
    r = rng(tenant.tenant_id, tenant.seed, "groups")
    members = [u["id"] for u in tenant.users.values() if u["userType"] == "Member"]
    groups: list[dict[str, Any]] = []
    teams: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for index in range(min(2000, max(4, len(tenant.users) // 8))):
        name = f"{r.choice(data.DEPARTMENTS)} {r.choice(_TEAM_SUFFIXES)}"
        if name in seen:
            name = f"{name} {index}"
        seen.add(name)
        roll = r.random()
        kind = "team" if roll < 0.6 or index == 0 else "unified" if roll < 0.8 else "security"
        group_id = guid(tenant.tenant_id, tenant.seed, "group", index)
        nickname = f"group{index:04d}"
        created = tenant.anchor_us - int(r.uniform(10, 1500) * DAY_US)
        groups.append({
            "id": group_id, "createdDateTime": iso(created), "deletedDateTime": None,
            "description": f"{name} のグループです。", "displayName": name,
            "groupTypes": [] if kind == "security" else ["Unified"],
            "mail": None if kind == "security" else f"{nickname}@{tenant.domain}",
            "mailEnabled": kind != "security", "mailNickname": nickname,
            "resourceBehaviorOptions": [],
            "resourceProvisioningOptions": ["Team"] if kind == "team" else [],
            "securityEnabled": kind == "security",
            "visibility": None if kind == "security" else r.choice(["Private", "Public"]),
        })
        if kind != "team":
            continue
        team_members = r.sample(members, min(len(members), r.randint(3, 15))) if members else []
        thread = f"19:{guid(group_id, 'thread').replace('-', '')}@thread.tacv2"
        teams[group_id] = {
            "id": group_id, "createdDateTime": iso(created), "displayName": name,
            "description": groups[-1]["description"], "internalId": thread,
            "classification": None, "specialization": "none",
            "visibility": groups[-1]["visibility"].lower(),
            "webUrl": f"https://teams.microsoft.com/l/team/{thread.replace(':', '%3a').replace('@', '%40')}"
                      f"/conversations?groupId={group_id}&tenantId={tenant.tenant_id}",
            "isArchived": r.random() < 0.1, "isMembershipLimitedToOwners": False,
            "tenantId": tenant.tenant_id, **_TEAM_SETTINGS,
            "_members": team_members, "_owners": set(team_members[:2]),
        }
    return groups, teams


def _issue(tenant: SimTenant, service_id: str, service: str, number: int, start: int,
           classification: str, status: str, resolved: bool, end: int | None) -> dict[str, Any]:
    group, feature = data.ISSUE_FEATURES[service_id]
    title = (f"Some users may be unable to use {feature.lower()} in {service}"
             if classification == "Incident" else f"Admins may see delays in {feature.lower()}")
    modified = end if end is not None else tenant.anchor_us - 3600 * 1_000_000
    return {
        "startDateTime": iso(start), "endDateTime": iso(end) if end is not None else None,
        "lastModifiedDateTime": iso(modified), "title": title,
        "id": f"{_ISSUE_PREFIX[service_id]}{number}",
        "impactDescription": f"Users may experience issues with {feature.lower()}.",
        "classification": classification, "origin": "Microsoft", "status": status,
        "service": service, "feature": feature, "featureGroup": group, "isResolved": resolved,
        "details": [{"name": "NotifyInApp", "value": "True"}],
        "posts": [{"createdDateTime": iso(start + 600 * 1_000_000), "postType": "Regular",
                   "description": {"contentType": "Html",
                                   "content": f"Title: {title}\n\nUser Impact: Users may "
                                              f"experience issues with {feature.lower()}."}}],
    }


def build_health(tenant: SimTenant) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Mostly ServiceOperational; one degraded service with an open incident; one restored
    advisory; and enough resolved history that the issues list needs more than one page."""
    r = rng(tenant.tenant_id, tenant.seed, "health")
    services = [{"service": name, "status": "ServiceOperational", "id": sid}
                for sid, name in data.SERVICES]
    degraded, restored = r.sample(range(len(services)), 2)
    now = tenant.anchor_us
    issues = []
    for n in range(150):
        sid, name = data.SERVICES[r.randrange(len(data.SERVICES))]
        start = now - int(r.uniform(2, 90) * DAY_US)
        issues.append(_issue(tenant, sid, name, 100000 + n * 7, start,
                             r.choice(["Incident", "Advisory"]), "ServiceRestored", True,
                             start + int(r.uniform(0.05, 1.5) * DAY_US)))
    sid, name = data.SERVICES[degraded]
    services[degraded]["status"] = "ServiceDegradation"
    issues.append(_issue(tenant, sid, name, 200001, now - 5 * 3600 * 1_000_000, "Incident",
                         "ServiceDegradation", False, None))
    sid, name = data.SERVICES[restored]
    services[restored]["status"] = "ServiceRestored"
    issues.append(_issue(tenant, sid, name, 200002, now - 30 * 3600 * 1_000_000, "Advisory",
                         "ServiceRestored", True, now - 2 * 3600 * 1_000_000))
    issues.sort(key=lambda issue: issue["lastModifiedDateTime"], reverse=True)
    return services, issues
