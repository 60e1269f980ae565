"""New countries: a successful sign-in from a country not seen in the history before it.

Two findings, judged separately on successful sign-ins with a country (an empty country is
skipped; failures neither count nor make a country familiar):

- new for the user (INFO): the user's first success from this country in the last
  `new_country_days`. Only for users with USER_HISTORY of successes in that window before it:
  a user's first days have nothing to differ from (a user seen abroad first would otherwise
  get their own home country reported).
- new for the tenant (WARNING): no user of the tenant succeeded from this country in the last
  `new_country_days`. Only once the tenant has at least TENANT_HISTORY of stored sign-ins
  before the sign-in, so a freshly added tenant does not report every country it has.

Each sign-in is judged against exactly the `new_country_days` before it: the latest success
per (user, country) before the batch, then the batch's time span replayed in order. One event
per (tenant, user, country) and one per (tenant, country): a country that comes back after
the window extends its old event rather than adding one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.models import SignIn
from m365admin.registry.detections import Kind, Number, detection
from security.detections import history
from security.detections.base import Context, Finding, Row

NEW_COUNTRY = Kind("new_country", _("Sign-in from a new country"), Severity.INFO)

# How much stored history a tenant, or a user, needs before a country can be new for them.
TENANT_HISTORY = timedelta(days=7)
USER_HISTORY = timedelta(days=7)


class Scope(models.TextChoices):
    """Who had not seen the country (the events' `scope` detail)."""

    USER = "user", _("New for the user")
    TENANT = "tenant", _("New for the tenant")


@detection(NEW_COUNTRY, settings=[
    Number("new_country_days", 90, _("new country: history (days)"), minimum=1),
])
def detect(ctx: Context) -> list[Finding]:
    new = {r.id: r for r in ctx.new if r.succeeded and r.country and r.user_graph_id}
    if not new:
        return []
    window = timedelta(days=ctx.settings.new_country_days)
    # Query 1: the latest success per (user, country) of the batch's users before the batch.
    spans = history.success_spans(
        ctx.tenant, {r.user_graph_id for r in new.values()}, ctx.start - window, ctx.start)
    last = {pair: latest for pair, (_first, latest) in spans.items()}
    user_first: dict[str, datetime] = {}
    user_last: dict[str, datetime] = {}
    country_last: dict[str, datetime] = {}  # by anyone known so far
    for (user, country), (first, at) in spans.items():
        user_first[user] = min(first, user_first.get(user, first))
        user_last[user] = max(at, user_last.get(user, at))
        country_last[country] = max(at, country_last.get(country, at))

    found: dict[str, Finding] = {}
    candidates: list[Row] = []  # new for the user and for everyone known so far
    # Query 2: the batch's time span, every user's successes, replayed oldest first.
    for success in history.successes_between(ctx.tenant, ctx.start, ctx.end):
        user, country, at = success.user_graph_id, success.country, success.created
        row = new.get(success.id)
        if row is not None and not _since(last.get((user, country)), at - window):
            if (_since(user_last.get(user), at - window)
                    and user_first[user] <= at - USER_HISTORY):
                finding = Finding(
                    NEW_COUNTRY, f"new_country:{ctx.tenant.pk}:{user}:{country}",
                    [row], users=[row.user],
                    details={"scope": Scope.USER.value, "country": country})
                found[finding.dedup_key] = finding
            if not _since(country_last.get(country), at - window):
                candidates.append(row)
        last[(user, country)] = user_last[user] = country_last[country] = at
        user_first.setdefault(user, at)
    if candidates:
        _tenant_findings(ctx, candidates, window, found)
    return list(found.values())


def _since(at: datetime | None, since: datetime) -> bool:
    return at is not None and at >= since


def _tenant_findings(ctx: Context, candidates: list[Row], window: timedelta,
                     found: dict[str, Finding]) -> None:
    """Queries 3 and 4, only when a country is new to everyone the first two saw: how far
    the tenant's history goes back, and its latest success from each such country before the
    batch."""
    oldest = (SignIn.objects.filter(tenant=ctx.tenant).order_by("created", "id")
              .values_list("created", flat=True).first())
    candidates = [r for r in candidates
                  if oldest is not None and oldest <= r.created - TENANT_HISTORY]
    if not candidates:
        return  # too little history to call anything new
    tenant_last = dict(
        SignIn.objects.filter(tenant=ctx.tenant, country__in={r.country for r in candidates})
        .succeeded().between(ctx.start - window, ctx.start)
        .values("country").annotate(last=Max("created")).order_by()
        .values_list("country", "last"))
    for row in candidates:
        if not _since(tenant_last.get(row.country), row.created - window):
            finding = Finding(
                NEW_COUNTRY, f"new_country:{ctx.tenant.pk}:{row.country}", [row],
                users=[row.user], severity=Severity.WARNING,
                details={"scope": Scope.TENANT.value, "country": row.country})
            found[finding.dedup_key] = finding
