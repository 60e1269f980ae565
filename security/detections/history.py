"""Bounded history queries shared by the per-user sign-in detections.

Each is one query for a whole batch, whatever its size (a backfill reads a million sign-ins in
batches of 5,000), bounded in time so PostgreSQL prunes partitions, and filtered by user id
through the (tenant, user_graph_id, created) index where it names users. Users are matched by
their Entra ID object id: it is what that index holds, and unlike the UPN it survives a rename.

Only successful sign-ins make history: an attacker's failed attempts from a country must not
make that country familiar.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import Max, Min

from m365admin.models import SignIn, Tenant
from security.detections.base import Row

# `between` excludes its end; the batch's last sign-in must be included.
TICK = timedelta(microseconds=1)


class Success(NamedTuple):
    """A successful sign-in with a country, as the country detections replay them."""

    id: int
    user_graph_id: str
    country: str
    created: datetime


def user_key(row: Row) -> str:
    """The account in deduplication keys: its object id, short and stable (else the UPN)."""
    return row.user_graph_id or row.user


def last_success_by_country(tenant: Tenant, user_ids: set[str], since: datetime,
                            until: datetime) -> dict[tuple[str, str], datetime]:
    """Each user's latest success from each country in [since, until), as
    {(user id, country): time}: what was familiar before a batch starting at `until`."""
    return {pair: last for pair, (_first, last) in
            success_spans(tenant, user_ids, since, until).items()}


def success_spans(tenant: Tenant, user_ids: set[str], since: datetime,
                  until: datetime) -> dict[tuple[str, str], tuple[datetime, datetime]]:
    """Each user's first and latest success from each country in [since, until)."""
    if not user_ids:
        return {}
    pairs = (
        SignIn.objects.filter(tenant=tenant, user_graph_id__in=user_ids).succeeded()
        .exclude(country="").between(since, until)
        .values("user_graph_id", "country")
        .annotate(first=Min("created"), last=Max("created")).order_by()
    )
    return {(p["user_graph_id"], p["country"]): (p["first"], p["last"]) for p in pairs}


def successes_between(tenant: Tenant, start: datetime, end: datetime,
                      user_ids: set[str] | None = None) -> list[Success]:
    """Successes with a country from `start` to `end` inclusive, oldest first: the batch's own
    and any known ones between them (a late batch interleaves with those)."""
    signins = SignIn.objects.filter(tenant=tenant).succeeded().exclude(country="")
    if user_ids is not None:
        signins = signins.filter(user_graph_id__in=user_ids)
    return [Success(*values) for values in signins.between(start, end + TICK)
            .order_by("created", "id").values_list("id", "user_graph_id", "country", "created")]
