"""Brute force: many wrong passwords against one account in a short time.

A finding is a burst (security/detections/bursts.py) of one account's password failures
(`bursts.PASSWORD_FAILURES`) in which some `brute_force_minutes` window (half-open: failures
less than that apart) holds at least `brute_force_failures` of them. The default, 10 in 10
minutes, is where Entra ID's smart lockout locks an account by default: an attacker who keeps
trying past that meets 50053, which counts too. The evidence is the failures in such windows;
one event per burst, keyed by its first failure, so a burst read over several runs or
batches extends one event, and failures after a quiet gap of the window's length start a new
one.

If the account signs in successfully, or gets as far as MFA or conditional access (the
password was right: `bursts.PASSWORD_ACCEPTED`), after the burst began and less than a window
after its last failure, that sign-in joins the evidence and the event is an ERROR with
`followed_by_success` (or `password_accepted`): the password was probably guessed.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.registry.detections import Kind, Number, detection
from security.detections import bursts
from security.detections.base import Context, Finding, Row

BRUTE_FORCE = Kind("brute_force", _("Brute force against an account"), Severity.WARNING)


class _Count:
    """How many failures the window holds."""

    def __init__(self, needed: int) -> None:
        self.needed, self.n = needed, 0

    def add(self, row: Row) -> None:
        self.n += 1

    def remove(self, row: Row) -> None:
        self.n -= 1

    def ok(self) -> bool:
        return self.n >= self.needed


@detection(BRUTE_FORCE, settings=[
    Number("brute_force_failures", 10, _("brute force: failures"), minimum=2,
           help_text=_("Failed password sign-ins against one account within the window.")),
    Number("brute_force_minutes", 10, _("brute force: window (minutes)"), minimum=1),
])
def detect(ctx: Context) -> list[Finding]:
    if not ctx.new:
        return []
    settings = ctx.settings
    span = timedelta(minutes=settings.brute_force_minutes)
    failures: dict[str, list[Row]] = defaultdict(list)
    # Each account's successes (and accepted passwords), oldest first.
    after: dict[str, list[Row]] = defaultdict(list)
    for row in ctx.around(bursts.HISTORY * settings.brute_force_minutes):
        if not row.user:
            continue  # neither a UPN nor an object id: no account to speak of
        if row.error_code in bursts.PASSWORD_FAILURES:
            failures[row.user].append(row)
        elif row.succeeded or row.error_code in bursts.PASSWORD_ACCEPTED:
            after[row.user].append(row)
    new = {r.id for r in ctx.new}
    known = bursts.Known(ctx, BRUTE_FORCE, span)
    found: dict[str, Finding] = {}
    for account, rows in failures.items():
        times = [r.created for r in after[account]]
        for burst in bursts.bursts(rows, span, _Count(settings.brute_force_failures)):
            first, last = burst[0], burst[-1]
            lo = bisect.bisect_right(times, first.created)
            hi = bisect.bisect_left(times, last.created + span)
            follow = after[account][lo:hi]
            if not any(r.id in new for r in burst + follow):
                continue  # reported when these sign-ins were new
            key = known.key(account, first.created, last.created,
                            f"brute_force:{ctx.tenant.pk}:{first.graph_id}")
            details: dict = {"source": account, "threshold": settings.brute_force_failures,
                             "window_minutes": settings.brute_force_minutes}
            # Set only when true: the runner merges details, and a later part of the burst
            # that does not see the success must not clear it.
            if any(r.succeeded for r in follow):
                details["followed_by_success"] = True
            if any(not r.succeeded for r in follow):
                details["password_accepted"] = True
            finding = Finding(
                BRUTE_FORCE, key, burst + follow, users=[account],
                severity=Severity.ERROR if follow else None, details=details)
            if key in found:  # two parts of this batch's history continue one event
                finding = _merge(found[key], finding)
            found[key] = finding
    return list(found.values())


def _merge(one: Finding, other: Finding) -> Finding:
    worse = Severity.ERROR if Severity.ERROR in (one.severity, other.severity) else None
    return Finding(one.kind, one.dedup_key, one.evidence + other.evidence, users=one.users,
                   severity=worse, details={**one.details, **other.details})
