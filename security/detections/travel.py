"""Impossible travel: two successive successful sign-ins of one user farther apart than a person
can travel in the time between them.

"Successive" counts only successful sign-ins with coordinates (geoCoordinates may be `{}`): a
sign-in without them is skipped, so its neighbours are compared with each other. A pair is a
finding when its great-circle distance is at least `travel_min_km` and the speed it implies
exceeds `travel_speed_kmh` (compared at 0.1 km/h, the precision the event reports); two
sign-ins at the same instant that far apart are impossible at any speed. If either sign-in
carries Entra ID's `anonymizedIPAddress` risk (Tor, anonymising VPNs), the finding is kept at
INFO with `anonymized: true`: the exit node's location says nothing about the person's.

Each new sign-in is compared with both its neighbours in the user's timeline, so a sign-in that
arrives late, between two known ones, is judged against each. One event per pair of sign-ins.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.models import SignIn
from m365admin.models.signins import SUCCESS_CODE
from m365admin.registry.detections import Kind, Number, detection
from security.detections.base import Context, Finding, Row, rows
from security.detections.history import TICK

IMPOSSIBLE_TRAVEL = Kind("impossible_travel", _("Impossible travel"), Severity.ERROR)

EARTH_RADIUS_KM = 6371.0088  # the mean radius
# No two places on Earth are farther apart than half its circumference, so a pair more than
# FARTHEST_KM / speed hours apart can never be too fast: that bounds every history query.
FARTHEST_KM = math.pi * EARTH_RADIUS_KM
ANONYMIZED = "anonymizedipaddress"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def located(row: Row) -> bool:
    return row.latitude is not None and row.longitude is not None


@detection(IMPOSSIBLE_TRAVEL, settings=[
    Number("travel_speed_kmh", 900, _("impossible travel: speed (km/h)"), minimum=100),
    Number("travel_min_km", 500, _("impossible travel: minimum distance (km)"),
           help_text=_("Shorter hops are within the error of IP geolocation.")),
])
def detect(ctx: Context) -> list[Finding]:
    new = [r for r in ctx.new if r.succeeded and located(r) and r.user_graph_id]
    if not new:
        return []
    new_ids = {r.id for r in new}
    found: dict[str, Finding] = {}
    for timeline in _timelines(ctx, {r.user_graph_id for r in new}).values():
        for i, row in enumerate(timeline):
            if row.id not in new_ids:
                continue
            pairs = [(timeline[i - 1], row)] if i else []
            if i + 1 < len(timeline):
                pairs.append((row, timeline[i + 1]))
            for earlier, later in pairs:
                finding = _judge(ctx, earlier, later)
                if finding is not None:
                    found[finding.dedup_key] = finding
    return list(found.values())


def _timelines(ctx: Context, users: set[str]) -> dict[str, list[Row]]:
    """Each user's located successes, oldest first: all of them within the batch's time span,
    plus the nearest one before it and the nearest one after it within reach.

    Three queries whatever the batch's size. Only the span query returns many rows (about
    the batch's own); the two neighbour queries return at most one row per user.
    """
    reach = timedelta(hours=FARTHEST_KM / ctx.settings.travel_speed_kmh)
    signins = SignIn.objects.filter(
        tenant=ctx.tenant, user_graph_id__in=users, error_code=SUCCESS_CODE,
        latitude__isnull=False, longitude__isnull=False)
    found = (
        rows(signins.between(ctx.start, ctx.end + TICK))
        + rows(_nearest(signins.between(ctx.start - reach, ctx.start), latest=True))
        + rows(_nearest(signins.between(ctx.end + TICK, ctx.end + TICK + reach), latest=False))
    )
    timelines: dict[str, list[Row]] = {}
    for row in sorted(found, key=lambda r: (r.created, r.id)):
        timelines.setdefault(row.user_graph_id, []).append(row)
    return timelines


def _nearest(signins: QuerySet[SignIn], *, latest: bool) -> QuerySet[SignIn]:
    """Each user's latest (or earliest) sign-in in `signins`: one row per user."""
    order = [F("created").desc(), F("id").desc()] if latest else [F("created"), F("id")]
    return signins.annotate(
        rank=Window(RowNumber(), partition_by=[F("user_graph_id")], order_by=order)
    ).filter(rank=1).order_by()  # the caller sorts: no need for the model's ordering


def _judge(ctx: Context, earlier: Row, later: Row) -> Finding | None:
    assert earlier.latitude is not None and earlier.longitude is not None  # noqa: S101 — for mypy
    assert later.latitude is not None and later.longitude is not None  # noqa: S101
    distance = haversine_km(earlier.latitude, earlier.longitude, later.latitude, later.longitude)
    if distance < ctx.settings.travel_min_km:
        return None
    hours = (later.created - earlier.created).total_seconds() / 3600
    speed = distance / hours if hours else None  # None: the same instant, any distance is too far
    if speed is not None and round(speed, 1) <= ctx.settings.travel_speed_kmh:
        return None
    anonymized = any(
        str(kind).lower() == ANONYMIZED
        for r in (earlier, later) for kind in (r.risk_event_types or ()))
    details = {
        "distance_km": round(distance, 1),
        "hours": round(hours, 2),
        "speed_kmh": round(speed) if speed is not None else None,
        "from": {"city": earlier.city, "country": earlier.country},
        "to": {"city": later.city, "country": later.country},
    }
    if anonymized:
        details["anonymized"] = True
    return Finding(
        IMPOSSIBLE_TRAVEL,
        f"impossible_travel:{ctx.tenant.pk}:{later.user_graph_id}:{earlier.graph_id}:"
        f"{later.graph_id}",
        [earlier, later], users=sorted({earlier.user, later.user}),
        severity=Severity.INFO if anonymized else None, details=details,
    )
