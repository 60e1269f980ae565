"""What the explorer pages share: filters, sorting, paging, time windows, and bad input.

Bad input never fails a page. Each problem is reported in words and the page falls back to
what it shows without that input: no filters, the default order, the first page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import F, OrderBy, QuerySet
from django.forms import BoundField
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from m365admin.lib import keyset
from m365admin.models import Tenant

if TYPE_CHECKING:
    from m365admin.models.signins import SignIn, SignInQuerySet

PAGE_SIZE = 50
# What the sign-in explorer shows when no time range is given.
DEFAULT_WINDOW = timedelta(hours=24)


# Filters ------------------------------------------------------------------------------------


def form_problems(form: forms.Form) -> list[str]:
    """The form's errors as sentences a page can show (validates the form)."""
    problems: list[str] = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        # An ErrorList yields its messages as str (the stubs give what it stores).
        for error in cast("Iterable[str]", errors):
            problems.append(
                _("%(field)s: %(error)s") % {"field": field.label, "error": error}
                if field else error
            )
    return problems


def filtered(filterset: django_filters.FilterSet,
             queryset: QuerySet[Any]) -> tuple[QuerySet[Any], list[str]]:
    """The queryset narrowed by the filterset, or as it was with the reasons why not."""
    problems = form_problems(filterset.form)
    if problems:
        return queryset, problems
    return filterset.filter_queryset(queryset), []


def next_minute(moment: datetime) -> datetime:
    """A window that ends now ends at the next whole minute instead: nothing is newer, and the
    same search asked again within the minute is the same window (cached counts answer it)."""
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def time_window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The [start, end) to read: the last 24 hours unless told, never longer than
    EXPLORER_MAX_RANGE_DAYS, so PostgreSQL opens only the partitions it needs."""
    end = until or next_minute(timezone.now())
    start = since or end - DEFAULT_WINDOW
    if start >= end:
        raise ValidationError(_("The start of the time range must be before its end."))
    days = settings.EXPLORER_MAX_RANGE_DAYS
    if end - start > timedelta(days=days):
        raise ValidationError(ngettext(
            "The time range can be at most %(days)d day long.",
            "The time range can be at most %(days)d days long.", days,
        ) % {"days": days})
    return start, end


def filtered_window[Rows: QuerySet[Any]](
    filterset: django_filters.FilterSet, between: Callable[[datetime, datetime], Rows]
) -> tuple[Rows, tuple[datetime, datetime], list[str]]:
    """`between(start, end)` narrowed by the filterset, whose `since` and `until` pick the
    window; with any problem, the default window unfiltered."""
    problems = form_problems(filterset.form)
    if not problems:
        data = filterset.form.cleaned_data
        try:
            window = time_window(data.get("since"), data.get("until"))
        except ValidationError as error:
            problems = error.messages
        else:
            return filterset.filter_queryset(between(*window)), window, []
    window = time_window(None, None)
    return between(*window), window, problems


def filter_fields(
    filterset: django_filters.FilterSet, names: Iterable[str]
) -> list[BoundField]:
    """The named fields of the filterset's form, with widgets fit for a page: a menu of
    tenants, "Any" on every choice, date-time pickers."""
    form = filterset.form
    for name in names:
        field = form.fields[name]
        if name == "tenant":
            tenants = Tenant.objects.order_by("name").values_list("code", "name")
            field.widget = forms.Select(
                choices=[("", _("All tenants")), *((str(code), n) for code, n in tenants)]
            )
        elif isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(
                choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
            )
        elif isinstance(field, forms.ChoiceField):
            # The field keeps its choices normalised to pairs (the stubs allow any input form).
            choices = cast("Iterable[tuple[Any, Any]]", field.choices)
            field.widget.choices = [
                ("", _("Any")), *((value, label) for value, label in choices if value != "")
            ]
        elif isinstance(field, forms.DateTimeField):
            # Seconds too: a range taken from the table must not lose its edges.
            field.widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1})
    return [form[name] for name in names]


@dataclass(frozen=True)
class QuickRange:
    """A link beside the date pickers: `since` as the picker shows it, until now."""

    label: str
    since: str


def quick_ranges(now: datetime) -> list[QuickRange]:
    """The last hour, today (since midnight where the reader is), 24 hours, 7 and 30 days,
    as local times without an offset: what the date-time pickers show and read back."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [
        (_("1 h"), now - timedelta(hours=1)),
        (_("Today"), midnight),
        (_("24 h"), now - timedelta(hours=24)),
        (_("7 d"), now - timedelta(days=7)),
        (_("30 d"), now - timedelta(days=30)),
    ]
    longest = timedelta(days=settings.EXPLORER_MAX_RANGE_DAYS)
    return [
        QuickRange(label, start.strftime("%Y-%m-%dT%H:%M:%S"))
        for label, start in starts if now - start <= longest
    ]


# Sorting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortHeader:
    """A sortable column: the `sort` a click on its header asks for, and its aria-sort now."""

    next: str
    direction: str


class Sorting:
    """The sort keys a page accepts (`name` ascending, `-name` descending) and the field
    behind each: a URL must not order by any column it likes, hidden or unindexed."""

    def __init__(self, default: str, *, then: Sequence[str] = (), **fields: str) -> None:
        self.default = default
        self.fields = fields
        # Tie-breakers after the chosen key (before the pk), e.g. the most recent first.
        self.then = [F(name.lstrip("-")).desc() if name.startswith("-") else F(name).asc()
                     for name in then]

    def resolve(self, value: str | None) -> tuple[str, str | None]:
        """The sort to use for a `sort` parameter, and a problem if it had to be replaced."""
        if not value or value.removeprefix("-") in self.fields:
            return value or self.default, None
        return self.default, _("Unknown sort order; showing the default order.")

    def order_by(self, sort: str) -> list[OrderBy]:
        key, descending = sort.removeprefix("-"), sort.startswith("-")
        # Nulls last either way (SQLite and PostgreSQL disagree by default); then the pk, so
        # rows with equal values keep one order and none moves between pages.
        if descending:
            return [F(self.fields[key]).desc(nulls_last=True), *self.then, F("pk").desc()]
        return [F(self.fields[key]).asc(nulls_last=True), *self.then, F("pk").asc()]

    def headers(self, sort: str) -> dict[str, SortHeader]:
        current, descending = sort.removeprefix("-"), sort.startswith("-")
        return {
            key: SortHeader(
                next=f"-{key}" if key == current and not descending else key,
                direction=("descending" if descending else "ascending") if key == current
                else "none",
            )
            for key in self.fields
        }


# Pages --------------------------------------------------------------------------------------


def offset_page(queryset: QuerySet[Any] | Sequence[Any], number: str | None,
                size: int = PAGE_SIZE) -> tuple[Page[Any], str | None]:
    """One page of a small table, and a problem if the page asked for does not exist."""
    paginator = Paginator(queryset, size)
    try:
        return paginator.page(number or 1), None
    except InvalidPage:
        return paginator.page(1), _("That page does not exist; showing the first page.")


def keyset_page(queryset: SignInQuerySet,
                cursor: str | None) -> tuple[list[SignIn], str | None, str | None]:
    """One page of a newest-first table past `cursor` (no OFFSET: as cheap at row 10 million
    as at row 1): the rows, the next page's cursor, and a problem with the cursor given."""
    problem = None
    if cursor:
        try:
            queryset = queryset.older_than(*keyset.decode(cursor))
        except keyset.BadCursor:
            problem = _("That page link is not valid; showing the first page.")
    rows = list(queryset.order_by("-created", "-pk")[: PAGE_SIZE + 1])
    if len(rows) <= PAGE_SIZE:
        return rows, None, problem
    last = rows[PAGE_SIZE - 1]
    return rows[:PAGE_SIZE], keyset.encode(last.created, last.pk), problem


def directory_context(
    request: HttpRequest,
    filterset_class: type[django_filters.FilterSet],
    queryset: QuerySet[Any],
    sorting: Sorting,
    shown: Sequence[str],
) -> dict[str, Any]:
    """Everything a searchable, sortable list of a small table needs, from the request."""
    filterset = filterset_class(request.GET, queryset=queryset)
    rows, problems = filtered(filterset, queryset)
    filters_ignored = bool(problems)
    sort, sort_problem = sorting.resolve(request.GET.get("sort"))
    ordered = rows.order_by(*sorting.order_by(sort))
    page, page_problem = offset_page(ordered, request.GET.get("page"))
    return {
        "filter_fields": filter_fields(filterset, shown),
        "problems": [*problems, *(p for p in (sort_problem, page_problem) if p)],
        "filters_ignored": filters_ignored,
        "sort": sort,
        "sort_headers": sorting.headers(sort),
        "page_obj": page,
    }
