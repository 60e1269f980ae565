"""Usage reports: 302 to a pre-authenticated CSV download, or beta JSON pages."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..clock import DAY_US, US, from_us, iso_date
from ..data import SKU_PART_BY_ID
from ..ids import rng
from ..wire import SimRequest, SimResponse
from .common import Ctx, bad_request, page_state, parse_top, serve_list

if TYPE_CHECKING:
    from ..server import GraphSimulator
    from ..tenant import SimTenant

ARGUMENT = re.compile(r"^(period)='(D7|D30|D90|D180)'$|^(date)=(\d{4}-\d{2}-\d{2})$")
_GB = 1024 ** 3
_FRIENDLY = {"ENTERPRISEPACK": "OFFICE 365 E3", "SPE_E5": "MICROSOFT 365 E5",
             "EXCHANGESTANDARD": "EXCHANGE ONLINE (PLAN 1)", "AAD_PREMIUM": "MICROSOFT ENTRA ID P1",
             "POWER_BI_PRO": "POWER BI PRO", "FLOW_FREE": "MICROSOFT POWER AUTOMATE FREE"}
_TEAMS_SKUS = {"ENTERPRISEPACK", "SPE_E5"}
Row = dict[str, Any]


def _people(tenant: SimTenant) -> list[tuple[dict[str, Any], bool]]:
    with tenant.lock:
        return ([(u, False) for u in tenant.users.values()]
                + [(u, True) for u in tenant.deleted_users.values()])


def _parts(user: dict[str, Any]) -> list[str]:
    return [SKU_PART_BY_ID.get(lic["skuId"], "") for lic in user.get("assignedLicenses") or []]


def _last_activity(tenant: SimTenant, user: dict[str, Any], refresh: int) -> str | None:
    last = tenant.meta.get(user["id"], {}).get("last_interactive")
    return iso_date(min(last, refresh)) if last else None


def _mailbox_rows(tenant: SimTenant, refresh: int, days: int) -> list[Row]:
    rows = []
    for user, deleted in _people(tenant):
        meta = tenant.meta.get(user["id"], {})
        if not meta.get("mailbox"):
            continue
        r = rng(tenant.tenant_id, tenant.seed, "mailbox", user["id"])
        big = any(p in ("ENTERPRISEPACK", "SPE_E5") for p in _parts(user))
        send_receive = (100 if big else 50) * _GB
        # About 6% of mailboxes sit between the warning and the send quota.
        used = int((send_receive - _GB) * (r.uniform(0.97, 0.995) if r.random() < 0.06
                                            else min(0.9, r.lognormvariate(-2.3, 0.9))))
        rows.append({
            "reportRefreshDate": iso_date(refresh), "userPrincipalName": user["userPrincipalName"],
            "displayName": user["displayName"], "isDeleted": deleted,
            "deletedDate": iso_date(refresh) if deleted else None,
            "createdDate": user["createdDateTime"][:10],
            "lastActivityDate": _last_activity(tenant, user, refresh),
            "itemCount": used // 75_000, "storageUsedInBytes": used,
            "deletedItemCount": used // 900_000, "deletedItemSizeInBytes": used // 12,
            "deletedItemQuota": 30 * _GB, "hasArchive": r.random() < 0.3,
            "issueWarningQuotaInBytes": send_receive - 2 * _GB,
            "prohibitSendQuotaInBytes": send_receive - _GB,
            "prohibitSendReceiveQuotaInBytes": send_receive, "reportPeriod": str(days),
        })
    return rows


def _onedrive_rows(tenant: SimTenant, refresh: int, days: int) -> list[Row]:
    host = f"https://{tenant.domain.split('.')[0]}-my.sharepoint.com/personal/"
    rows = []
    for user, deleted in _people(tenant):
        if not any(p in ("ENTERPRISEPACK", "SPE_E5") for p in _parts(user)):
            continue
        r = rng(tenant.tenant_id, tenant.seed, "onedrive", user["id"])
        files = int(r.lognormvariate(6, 1.2))
        rows.append({
            "reportRefreshDate": iso_date(refresh),
            "siteUrl": host + re.sub(r"[^a-z0-9]", "_", user["userPrincipalName"].lower()),
            "ownerDisplayName": user["displayName"], "ownerPrincipalName": user["userPrincipalName"],
            "isDeleted": deleted, "lastActivityDate": _last_activity(tenant, user, refresh),
            "fileCount": files, "activeFileCount": int(files * r.uniform(0, 0.3)),
            "storageUsedInBytes": int(files * r.uniform(2e5, 3e6)),
            "storageAllocatedInBytes": 1024 * _GB, "reportPeriod": str(days),
        })
    return rows


def _teams_rows(tenant: SimTenant, refresh: int, days: int) -> list[Row]:
    rows = []
    for user, deleted in _people(tenant):
        parts = _parts(user)
        if not _TEAMS_SKUS & set(parts):
            continue
        r = rng(tenant.tenant_id, tenant.seed, "teams", user["id"], days)
        scale = days / 7
        audio, video, share = (int(r.uniform(0, 7200) * scale) for _ in range(3))
        organized, attended = int(r.uniform(0, 6) * scale), int(r.uniform(0, 15) * scale)
        rows.append({
            "reportRefreshDate": iso_date(refresh), "tenantDisplayName": tenant.display_name,
            "sharedChannelTenantDisplayNames": "", "userId": user["id"],
            "userPrincipalName": user["userPrincipalName"],
            "lastActivityDate": _last_activity(tenant, user, refresh), "isDeleted": deleted,
            "deletedDate": iso_date(refresh) if deleted else None,
            "assignedProducts": [_FRIENDLY[p] for p in parts if p in _FRIENDLY],
            "teamChatMessageCount": int(r.uniform(0, 80) * scale),
            "privateChatMessageCount": int(r.uniform(0, 300) * scale),
            "callCount": int(r.uniform(0, 20) * scale), "meetingCount": organized + attended,
            "postMessages": int(r.uniform(0, 10) * scale), "replyMessages": int(r.uniform(0, 25) * scale),
            "urgentMessages": int(r.uniform(0, 1.3)), "meetingsOrganizedCount": organized,
            "meetingsAttendedCount": attended, "adHocMeetingsOrganizedCount": organized // 3,
            "adHocMeetingsAttendedCount": attended // 3,
            "scheduledOneTimeMeetingsOrganizedCount": organized // 3,
            "scheduledOneTimeMeetingsAttendedCount": attended // 3,
            "scheduledRecurringMeetingsOrganizedCount": organized - 2 * (organized // 3),
            "scheduledRecurringMeetingsAttendedCount": attended - 2 * (attended // 3),
            "audioDuration": _duration(audio), "videoDuration": _duration(video),
            "screenShareDuration": _duration(share), "audioDurationInSeconds": audio,
            "videoDurationInSeconds": video, "screenShareDurationInSeconds": share,
            "hasOtherAction": r.random() < 0.5, "isLicensed": True, "reportPeriod": str(days),
        })
    return rows


def _duration(seconds: int) -> str:
    return f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"


# report -> (CSV header -> JSON field, row builder, accepts date=)
REPORTS: dict[str, tuple[dict[str, str], Callable[[SimTenant, int, int], list[Row]], bool]] = {
    "getmailboxusagedetail": ({
        "Report Refresh Date": "reportRefreshDate", "User Principal Name": "userPrincipalName",
        "Display Name": "displayName", "Is Deleted": "isDeleted", "Deleted Date": "deletedDate",
        "Created Date": "createdDate", "Last Activity Date": "lastActivityDate",
        "Item Count": "itemCount", "Storage Used (Byte)": "storageUsedInBytes",
        "Issue Warning Quota (Byte)": "issueWarningQuotaInBytes",
        "Prohibit Send Quota (Byte)": "prohibitSendQuotaInBytes",
        "Prohibit Send/Receive Quota (Byte)": "prohibitSendReceiveQuotaInBytes",
        "Deleted Item Count": "deletedItemCount", "Deleted Item Size (Byte)": "deletedItemSizeInBytes",
        "Deleted Item Quota (Byte)": "deletedItemQuota", "Has Archive": "hasArchive",
        "Report Period": "reportPeriod"}, _mailbox_rows, False),
    "getonedriveusageaccountdetail": ({
        "Report Refresh Date": "reportRefreshDate", "Site URL": "siteUrl",
        "Owner Display Name": "ownerDisplayName", "Is Deleted": "isDeleted",
        "Last Activity Date": "lastActivityDate", "File Count": "fileCount",
        "Active File Count": "activeFileCount", "Storage Used (Byte)": "storageUsedInBytes",
        "Storage Allocated (Byte)": "storageAllocatedInBytes",
        "Owner Principal Name": "ownerPrincipalName", "Report Period": "reportPeriod"},
        _onedrive_rows, True),
    "getteamsuseractivityuserdetail": ({
        "Report Refresh Date": "reportRefreshDate", "Tenant Display Name": "tenantDisplayName",
        "Shared Channel Tenant Display Names": "sharedChannelTenantDisplayNames",
        "User Id": "userId", "User Principal Name": "userPrincipalName",
        "Last Activity Date": "lastActivityDate", "Is Deleted": "isDeleted",
        "Deleted Date": "deletedDate", "Assigned Products": "assignedProducts",
        "Team Chat Message Count": "teamChatMessageCount",
        "Private Chat Message Count": "privateChatMessageCount", "Call Count": "callCount",
        "Meeting Count": "meetingCount", "Post Messages": "postMessages",
        "Reply Messages": "replyMessages", "Urgent Messages": "urgentMessages",
        "Meetings Organized Count": "meetingsOrganizedCount",
        "Meetings Attended Count": "meetingsAttendedCount",
        "Ad Hoc Meetings Organized Count": "adHocMeetingsOrganizedCount",
        "Ad Hoc Meetings Attended Count": "adHocMeetingsAttendedCount",
        "Scheduled One-time Meetings Organized Count": "scheduledOneTimeMeetingsOrganizedCount",
        "Scheduled One-time Meetings Attended Count": "scheduledOneTimeMeetingsAttendedCount",
        "Scheduled Recurring Meetings Organized Count": "scheduledRecurringMeetingsOrganizedCount",
        "Scheduled Recurring Meetings Attended Count": "scheduledRecurringMeetingsAttendedCount",
        "Audio Duration": "audioDuration", "Video Duration": "videoDuration",
        "Screen Share Duration": "screenShareDuration",
        "Audio Duration In Seconds": "audioDurationInSeconds",
        "Video Duration In Seconds": "videoDurationInSeconds",
        "Screen Share Duration In Seconds": "screenShareDurationInSeconds",
        "Has Other Action": "hasOtherAction", "Is Licensed": "isLicensed",
        "Report Period": "reportPeriod"}, _teams_rows, True),
}


def _json_context(ctx: Ctx, key: str) -> str | None:
    # The mailbox example has no @odata.context; the OneDrive one does.
    if key == "getonedriveusageaccountdetail":
        return ctx.context_url("Collection(microsoft.graph.oneDriveUsageAccountDetail)")
    return None


_CONCEALED = ("userPrincipalName", "displayName", "ownerDisplayName", "ownerPrincipalName",
              "siteUrl", "userId")


def _rows(tenant: SimTenant, name: str, days: int, refresh: int) -> list[Row]:
    rows = REPORTS[name][1](tenant, refresh, days)
    if tenant.display_concealed_names:
        for row in rows:
            for key in _CONCEALED:
                if key in row:
                    row[key] = hashlib.md5(f"{tenant.tenant_id}{row[key]}".encode()).hexdigest().upper()
    return rows


def _parse(ctx: Ctx, name: str, argument: str) -> tuple[int, int]:
    """(period days, refresh instant) after validating the function argument."""
    report = REPORTS.get(name.lower())
    if report is None:
        raise bad_request(f"Resource not found for the segment '{name}'.")
    match = ARGUMENT.match(argument.strip())
    if not match:
        raise bad_request("Invalid value for 'period'. Supported values: D7, D30, D90, D180.")
    refresh = ctx.now_us() - ctx.now_us() % DAY_US - DAY_US  # reports lag about a day
    if match.group(1):
        return int(match.group(2)[1:]), refresh
    if not report[2]:
        raise bad_request(f"The function '{name}' does not accept a 'date' parameter.")
    wanted = date.fromisoformat(match.group(4))
    today = from_us(ctx.now_us()).date()
    if not today - timedelta(days=30) <= wanted <= today:
        raise bad_request("Invalid date: the date must be within the last 30 days.")
    return 1, min(refresh, (ctx.now_us() - ctx.now_us() % DAY_US) - (today - wanted).days * DAY_US)


def report(ctx: Ctx, name: str, argument: str) -> SimResponse:
    state = page_state(ctx, "report")
    if state is not None:
        return serve_list(ctx, "report", state["items"], state["top"], dict,
                          _json_context(ctx, state["extra"]), first=state["first"],
                          extra=state["extra"])
    days, refresh = _parse(ctx, name, argument)
    key = name.lower()
    fmt = ctx.query.get("$format", "text/csv").lower()
    if ctx.beta and fmt == "application/json":
        top = parse_top(ctx, 200, 200)
        rows = _rows(ctx.tenant, key, days, refresh)
        return serve_list(ctx, "report", rows, top, dict, _json_context(ctx, key), extra=key)
    if fmt not in ("text/csv", "application/json"):
        raise bad_request(f"Invalid $format '{fmt}'.")
    etag = '"' + hashlib.sha1(f"{ctx.tenant.tenant_id}|{key}|{argument}|{refresh}|"
                              f"{ctx.tenant.version}".encode()).hexdigest()[:16] + '"'
    if ctx.request.header("if-none-match") == etag:
        return SimResponse(304, content_type=None, headers={"ETag": etag})
    token = ctx.sim.downloads.put("", "report", ctx.now_us(), {
        "tenant": ctx.tenant.tenant_id, "report": key, "days": days, "refresh": refresh,
        "etag": etag})
    return SimResponse(302, body=b"", content_type="text/plain",
                       headers={"Location": f"{ctx.sim.base_url}/data/download/{token}",
                                "ETag": etag})


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return "+".join(value)
    return str(value)


def download_report(sim: GraphSimulator, request: SimRequest) -> SimResponse:
    """GET /data/download/<token>: no Authorization needed, valid for a few minutes."""
    match = re.fullmatch(r"/data/download/([\w-]+)", request.path)
    found = sim.downloads.get(match.group(1), "", "report") if match else None
    if found is None or sim.now_us - found[0] > sim.download_ttl_s * US:
        return SimResponse(404, body=b"The download link is invalid or has expired.",
                           content_type="text/plain")
    state = found[1]
    tenant = sim.tenant(state["tenant"])
    columns = REPORTS[state["report"]][0]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in _rows(tenant, state["report"], state["days"], state["refresh"]):
        writer.writerow([_csv_value(row[field]) for field in columns.values()])
    # Real report files start with a UTF-8 byte order mark.
    return SimResponse(200, body=("\ufeff" + out.getvalue()).encode("utf-8"),
                       content_type="application/octet-stream", headers={"ETag": state["etag"]})


def report_settings(ctx: Ctx) -> SimResponse:
    return ctx.ok({"@odata.context": ctx.context_url("admin/reportSettings/$entity"),
                   "displayConcealedNames": ctx.tenant.display_concealed_names})
