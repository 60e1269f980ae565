"""What the brute-force and spray detections share: which failures count, and bursts.

A burst is what one event describes: the failures of one source (an account, an address, a
network, a failure pattern) that lie in windows meeting the detection's condition, split
where the gap between two of them reaches the window's length. Its key names its first
failure. A burst seen only in part (a batch reads the window's length of history around its
sign-ins, not the burst's whole past) extends the event it continues: one recorded for the
same source whose sign-ins lie less than a window's length away.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Protocol

from security.detections.base import Context, Row
from security.models import SecurityEvent

# Entra ID error codes (status.errorCode) that mean "wrong credentials": what guessing
# passwords produces. 50053 is smart lockout answering for an account it has locked (or for
# an address it blocks as malicious): what a brute force runs into after its tenth failure.
PASSWORD_FAILURES = frozenset({
    50126,  # invalid username or password
    50053,  # account locked by smart lockout, or sign-in blocked from a malicious address
    50056,  # invalid or null password: the account has no password to compare with
    50064,  # credential validation failed
})
# Not here, because they say nothing about a guess: 50055 (the password is right, but
# expired), 53003 (conditional access blocked it), 50074/50076 (MFA required), 50057 (account
# disabled), interrupts (50058, 50140) and every code we do not know.

# "No such account": sprays work from lists of guessed names, so they count for sprays. Not
# for brute force: there is no account to break into, and a deleted user's phone still trying
# its old mailbox would look like one.
UNKNOWN_ACCOUNT = 50034

# Codes Entra ID returns only once the password was accepted: a second factor, a password
# change or conditional access stopped the sign-in ("Conditional Access policies are
# enforced after first-factor authentication is completed").
PASSWORD_ACCEPTED = frozenset({
    50055,  # the password is expired: it was the right one
    50072, 50074, 50076, 50079,  # MFA registration or MFA required
    500121,  # MFA failed or was denied (also what MFA fatigue attacks produce)
    53003,  # blocked by conditional access
})


# How many windows of history either side of a batch the detections read: a window that
# holds a new sign-in lies within one window of it, and what is counted around each of that
# window's failures (attempts per account, a success soon after) within one more.
HISTORY = 2


class Tally(Protocol):
    """A window's running counts: rows are added on the right and removed on the left."""

    def add(self, row: Row) -> None: ...

    def remove(self, row: Row) -> None: ...

    def ok(self) -> bool: ...


def bursts(rows: list[Row], span: timedelta, tally: Tally) -> list[list[Row]]:
    """One source's rows (oldest first) in windows shorter than `span` that satisfy `tally`,
    grouped into bursts, oldest first. Linear in the rows: each enters and leaves once.

    A window is half-open: rows less than `span` apart. Only the longest window ending at
    each row is judged, which is exact for counts that only grow with the window."""
    ranges: list[list[int]] = []  # index ranges [first, last]: the union of the windows
    left = 0
    for right, row in enumerate(rows):
        tally.add(row)
        while row.created - rows[left].created >= span:
            tally.remove(rows[left])
            left += 1
        if tally.ok():
            if ranges and ranges[-1][1] >= left:  # overlapping; gaps are judged below
                ranges[-1][1] = right
            else:
                ranges.append([left, right])
    found: list[list[Row]] = []
    for first, last in ranges:
        if found and rows[first].created - found[-1][-1].created < span:
            found[-1].extend(rows[first:last + 1])
        else:
            found.append(rows[first:last + 1])
    return found


def by_source(rows: list[Row], source) -> dict[str, list[Row]]:
    """Rows grouped by `source(row)` (rows it maps to "" are left out), order kept."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if key := source(row):
            groups[key].append(row)
    return groups


class Known:
    """The events of one kind already recorded near a batch, by source: one query."""

    def __init__(self, ctx: Context, kind: str, span: timedelta) -> None:
        self.span = span
        self.events: dict[str, list[tuple[str, datetime, datetime]]] = defaultdict(list)
        # The detections read two spans of history either side of the batch (`HISTORY`); an
        # event that a burst there continues lies within one more span.
        reach = (HISTORY + 1) * span
        found = (SecurityEvent.objects
                 .filter(tenant=ctx.tenant, kind=kind, window_end__gt=ctx.start - reach,
                         window_start__lt=ctx.end + reach)
                 .order_by("window_start", "id")
                 .values_list("dedup_key", "details__source", "window_start", "window_end"))
        for key, source, start, end in found:
            self.events[str(source)].append((key, start, end))

    def key(self, source: str, first: datetime, last: datetime, fresh: str) -> str:
        """The key of the earliest event of `source` that a burst from `first` to `last`
        continues, else `fresh`."""
        for key, start, end in self.events.get(source, ()):
            if start - last < self.span and first - end < self.span:
                return key
        return fresh
