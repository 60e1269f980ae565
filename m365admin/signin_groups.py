"""The sign-in explorer's "group by": counts per reason, application, country, user, address
or client app over the same filtered, time-bounded rows as the list, in one grouped query; or,
for the groupings the hourly rollups keep, their whole hours plus the raw rows at the edges."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BigIntegerField, Count, Func, Q, QuerySet
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from m365admin import rollups
from m365admin.choices import ClientApp, graph_words
from m365admin.lib import aadsts, versioned_cache
from m365admin.models import SignIn, SignInHourly

# The most groups a page shows; the rest are summed into "Other".
TOP = 50


class _SumOverAll(Func):
    """SUM(<aggregate>) OVER (): the total of every group, on each group's row. Django's
    Window(Sum(Count(...))) refuses an aggregate inside Sum."""

    template = "SUM(%(expressions)s) OVER ()"
    output_field = BigIntegerField()


@dataclass(frozen=True)
class Grouping:
    """One way to group: the label of its menu entry and column, the columns grouped on, how a
    group reads, and the list filter (query parameters) that shows its rows (None: no filter
    can select it, e.g. sign-ins without a country)."""

    label: Promise
    fields: tuple[str, ...]
    name: Callable[[dict[str, Any]], str]
    filter: Callable[[dict[str, Any]], dict[str, str] | None]


def _or_unknown(value: Any) -> str:
    return str(value) if value not in (None, "") else str(_("unknown"))


def _only_if(param: str, field: str) -> Callable[[dict[str, Any]], dict[str, str] | None]:
    return lambda row: {param: str(row[field])} if row[field] not in (None, "") else None


def _by_field(label: Promise, field: str, param: str) -> Grouping:
    """Grouped on one column, named by its value, listed by the `param` filter."""
    return Grouping(label, (field,), lambda row: _or_unknown(row[field]), _only_if(param, field))


GROUPINGS: dict[str, Grouping] = {
    "reason": Grouping(
        _("Failure reason"), rollups.GROUPED_FIELDS["reason"],
        lambda row: aadsts.describe(row["error_code"]).label,
        lambda row: {"error_code": str(row["error_code"])},
    ),
    "app": Grouping(
        _("Application"), rollups.GROUPED_FIELDS["app"],
        lambda row: _or_unknown(row["app_display_name"] or row["app_id"]),
        _only_if("app", "app_id"),
    ),
    "country": _by_field(_("Country"), "country", "country"),
    "user": _by_field(_("User"), "user_principal_name", "user"),
    "ip": _by_field(_("IP address"), "ip_address", "ip_address"),
    "client_app": Grouping(
        _("Client app"), rollups.GROUPED_FIELDS["client_app"],
        lambda row: _or_unknown(graph_words(ClientApp, row["client_app_used"])),
        _only_if("client_app_used", "client_app_used"),
    ),
}


@dataclass(frozen=True)
class Group:
    name: str
    count: int
    share: float  # of all rows in the window, 0..1
    filter: dict[str, str] | None
    code: int | None = None  # the error code, when grouped by reason

    @property
    def percent(self) -> float:
        return self.share * 100


@dataclass(frozen=True)
class Groups:
    total: int
    groups: list[Group]
    other: int  # rows in groups past TOP


def group(rows: QuerySet[SignIn], key: str, window: tuple[datetime, datetime],
          hours: QuerySet[SignInHourly] | None = None) -> Groups:
    """The TOP largest groups of `rows` (the sign-ins of `window`) by GROUPINGS[key], largest
    first. `hours`: the rollups of the same tenants, when nothing else narrows `rows`.

    From the cache while the window's sign-ins are unchanged (rollups.version): a day of
    every tenant has as many addresses as sign-ins, 200 ms to count again."""
    # Group names are translated: the language is part of what was asked.
    asked = (key, rows.query.sql_with_params(), hours is not None, translation.get_language())
    return versioned_cache.cached("signins.group", asked, rollups.version(*window),
                                  lambda: _group(rows, key, window, hours))


def _group(rows: QuerySet[SignIn], key: str, window: tuple[datetime, datetime],
           hours: QuerySet[SignInHourly] | None) -> Groups:
    grouping = GROUPINGS[key]
    counts = None
    if hours is not None and key in rollups.ROLLED_UP:
        counts = _whole_hours_and_edges(rows, key, window, hours)
    if counts is None:
        found, total = _grouped(rows, grouping.fields)
    else:
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
        found = [{**dict(zip(grouping.fields, values, strict=True)), "n": n} for values, n in top]
        total = sum(counts.values())
    groups = [
        Group(
            name=grouping.name(row), count=row["n"], share=row["n"] / total,
            filter=grouping.filter(row),
            code=row["error_code"] if key == "reason" else None,
        )
        for row in found
    ]
    return Groups(total=total, groups=groups, other=total - sum(g.count for g in groups))


def _grouped(rows: QuerySet[SignIn], fields: tuple[str, ...]) -> tuple[list[dict[str, Any]], int]:
    """The TOP largest groups, with the total over all groups taken by a window function in
    the same query (one scan of the window)."""
    found = list(
        rows.order_by().values(*fields)
        .annotate(n=Count("pk"), total=_SumOverAll(Count("pk")))
        .order_by("-n", *fields)[:TOP]
    )
    return found, found[0]["total"] if found else 0


def _whole_hours_and_edges(rows: QuerySet[SignIn], key: str, window: tuple[datetime, datetime],
                           hours: QuerySet[SignInHourly]) -> Counter[rollups.GroupKey] | None:
    """Every group's count: the hours wholly inside the window from their rollups (a day of
    every tenant is some 120 rows instead of 166,000 sign-ins), the rest of the window from the
    sign-ins. None when the rollups cannot tell."""
    start, end = window
    # The rollups' own hours: they are whole hours of the zone they were built in.
    whole = rollups.grouped_in_hours(
        hours.filter(hour__gte=start, hour__lte=end - timedelta(hours=1)), key)
    if whole is None:
        return None
    fields = GROUPINGS[key].fields
    edges = (rows.filter(Q(created__lt=whole.start) | Q(created__gte=whole.end)).order_by()
             .values(*fields).annotate(n=Count("pk")))
    for row in edges:
        whole.counts[tuple(row[name] for name in fields)] += row["n"]
    return whole.counts
