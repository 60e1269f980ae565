"""Watched accounts: emergency access ("break-glass") and privileged accounts.

- Break-glass (DetectionSettings.break_glass_accounts): these accounts exist for when
  everything else fails, so any sign-in, successful or not, is CRITICAL. One event per
  sign-in.
- Privileged (DetectionSettings.privileged_accounts): a successful sign-in from outside the
  account's usual countries, or outside the usual hours, is an ERROR. One event per user, UTC
  day and reason. Usual countries are `privileged_countries` when set, else the countries the
  account itself succeeded from in the last `new_country_days` (an account without such
  history is not judged on country). Usual hours are `privileged_hours` in UTC, from-to with
  the end excluded: "07-19" is 07:00-18:59, "22-06" wraps past midnight, "00-24" (the
  default) is always usual. Failed sign-ins are attacks on the account, not its use: the
  brute-force and spray detections cover those.

Accounts are named by user principal name, compared case-insensitively.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.registry.detections import Kind, Text, detection
from security.detections import history
from security.detections.base import Context, Finding, Row
from security.models import DetectionSettings

logger = logging.getLogger(__name__)

BREAK_GLASS = Kind("break_glass", _("Emergency access account used"), Severity.CRITICAL)
PRIVILEGED_ANOMALY = Kind("privileged_anomaly", _("Privileged account outside its usual pattern"),
                          Severity.ERROR)
ALL_HOURS = frozenset(range(24))


class Reason(models.TextChoices):
    """What was unusual about a privileged account's sign-in (the events' `reason` detail)."""

    COUNTRY = "country", _("Outside the usual countries")
    HOURS = "hours", _("Outside the usual hours")


def usual_hours(text: str) -> frozenset[int]:
    """The UTC hours (0-23) that "07-19" or "22-06" allow; all of them for "00-24", for equal
    ends, and (with a warning) for text that is not from-to hours."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", text or "")
    start, end = (int(match[1]), int(match[2])) if match else (-1, -1)
    if not (0 <= start <= 23 and 0 <= end <= 24):
        if text.strip():
            logger.warning("privileged_hours %r is not from-to hours; every hour is usual", text)
        return ALL_HOURS
    if start == end % 24:
        return ALL_HOURS
    if start < end:
        return frozenset(range(start, end))
    return frozenset(range(start, 24)) | frozenset(range(end))


def countries(text: str) -> set[str]:
    """Two-letter codes from "JP, US" (commas, semicolons or spaces)."""
    return {c.upper() for c in re.split(r"[\s,;]+", text) if c}


@detection(BREAK_GLASS, PRIVILEGED_ANOMALY, settings=[
    Text("break_glass_accounts", "", _("emergency access accounts"), multiline=True,
         help_text=_("User principal names, one per line: any sign-in by them is an event.")),
    Text("privileged_accounts", "", _("privileged accounts"), multiline=True,
         help_text=_("User principal names, one per line, watched for unusual countries and "
                     "hours.")),
    Text("privileged_countries", "", _("privileged accounts: usual countries"), max_length=200,
         help_text=_("Two-letter codes, e.g. JP, US; empty: the countries seen in the history.")),
    Text("privileged_hours", "00-24", _("privileged accounts: usual hours (UTC)"), max_length=11,
         help_text=_("From-to hours in UTC, e.g. 07-19 (wrapping past midnight allowed: 22-06).")),
])
def detect(ctx: Context) -> list[Finding]:
    found = []
    break_glass = DetectionSettings.lines(ctx.settings.break_glass_accounts)
    if break_glass:
        found += [
            Finding(
                BREAK_GLASS, f"break_glass:{ctx.tenant.pk}:{row.graph_id}", [row],
                users=[row.user],
                details={"succeeded": row.succeeded, "error_code": row.error_code,
                         "app": row.app_display_name},
            )
            for row in ctx.new if row.user in break_glass
        ]
    privileged = DetectionSettings.lines(ctx.settings.privileged_accounts)
    if privileged:
        found += _privileged(ctx, [r for r in ctx.new if r.succeeded and r.user in privileged])
    return found


def _privileged(ctx: Context, signins: list[Row]) -> list[Finding]:
    if not signins:
        return []
    settings = ctx.settings
    hours = usual_hours(settings.privileged_hours)
    fixed = countries(settings.privileged_countries)
    own: dict[int, set[str]] = {} if fixed else _own_countries(ctx, signins)

    groups: dict[tuple[str, str, Reason], list[Row]] = defaultdict(list)
    usual: dict[tuple[str, str, Reason], list[str]] = {}
    for row in signins:
        day = row.created.date().isoformat()
        if row.created.hour not in hours:
            groups[(history.user_key(row), day, Reason.HOURS)].append(row)
        known = fixed or own.get(row.id, set())
        if row.country and known and row.country.upper() not in known:
            key = (history.user_key(row), day, Reason.COUNTRY)
            groups[key].append(row)
            usual[key] = sorted(known)
    return [
        Finding(
            PRIVILEGED_ANOMALY,
            f"privileged_anomaly:{ctx.tenant.pk}:{user}:{day}:{reason.value}", evidence,
            users=sorted({r.user for r in evidence}),
            details={"reason": reason.value, **(
                {"usual_hours": settings.privileged_hours} if reason == Reason.HOURS
                else {"usual_countries": usual[(user, day, reason)]})},
        )
        for (user, day, reason), evidence in groups.items()
    ]


def _own_countries(ctx: Context, signins: list[Row]) -> dict[int, set[str]]:
    """For each sign-in (by id), the countries its account succeeded from in the
    `new_country_days` before it. Two queries, for the batch's privileged accounts only."""
    users = {r.user_graph_id for r in signins if r.country and r.user_graph_id}
    if not users:
        return {}
    window = timedelta(days=ctx.settings.new_country_days)
    seen: dict[str, dict[str, datetime]] = defaultdict(dict)  # user id: {country: latest}
    for (user, country), at in history.last_success_by_country(
            ctx.tenant, users, ctx.start - window, ctx.start).items():
        code = country.upper()
        seen[user][code] = max(at, seen[user].get(code, at))
    ids = {r.id for r in signins}
    own: dict[int, set[str]] = {}
    for success in history.successes_between(ctx.tenant, ctx.start, ctx.end, users):
        if success.id in ids:
            since = success.created - window
            own[success.id] = {c for c, at in seen[success.user_graph_id].items() if at >= since}
        seen[success.user_graph_id][success.country.upper()] = success.created
    return own
