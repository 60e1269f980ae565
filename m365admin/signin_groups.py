"""The sign-in explorer's "group by": counts per reason, application, country, user, address
or client app over the same filtered, time-bounded rows as the list, in one grouped query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, Count, Func, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from m365admin.choices import ClientApp, graph_words
from m365admin.lib import aadsts
from m365admin.models import SignIn

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
        _("Failure reason"), ("error_code",),
        lambda row: aadsts.describe(row["error_code"]).label,
        lambda row: {"error_code": str(row["error_code"])},
    ),
    "app": Grouping(
        _("Application"), ("app_id", "app_display_name"),
        lambda row: _or_unknown(row["app_display_name"] or row["app_id"]),
        _only_if("app", "app_id"),
    ),
    "country": _by_field(_("Country"), "country", "country"),
    "user": _by_field(_("User"), "user_principal_name", "user"),
    "ip": _by_field(_("IP address"), "ip_address", "ip_address"),
    "client_app": Grouping(
        _("Client app"), ("client_app_used",),
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


def group(rows: QuerySet[SignIn], key: str) -> Groups:
    """The TOP largest groups of `rows` by GROUPINGS[key], largest first, with the total over
    all groups taken by a window function in the same query (one scan of the window)."""
    grouping = GROUPINGS[key]
    counted = (
        rows.order_by().values(*grouping.fields)
        .annotate(n=Count("pk"), total=_SumOverAll(Count("pk")))
        .order_by("-n", *grouping.fields)[:TOP]
    )
    found = list(counted)
    total = found[0]["total"] if found else 0
    groups = [
        Group(
            name=grouping.name(row), count=row["n"], share=row["n"] / total,
            filter=grouping.filter(row),
            code=row["error_code"] if key == "reason" else None,
        )
        for row in found
    ]
    return Groups(total=total, groups=groups, other=total - sum(g.count for g in groups))
