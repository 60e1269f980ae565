"""Password spray: few passwords tried against many accounts, from one source or from many.

Spray tools try one to three passwords per account, to stay under lockout, across as many
accounts as they know. So a window of `spray_minutes` is a spray from one source when it
holds failures (`bursts.PASSWORD_FAILURES`, plus 50034 "no such account": name lists are
guessed) against at least `spray_accounts` accounts with at most
`spray_attempts_per_account` attempts each, counted around each failure: no more than that
many from the source less than a window before or after it (a window that cuts a fourth round
off does not make four tries three). Accounts tried more often are brute force's business and
do not count here. Sources, in this order:

- one address: the event's `ip_address`;
- a /24 (IPv4) or /64 (IPv6) network, for failures that are not already part of an address's
  spray: attackers rotate through neighbouring addresses, and one IPv6 host owns a whole /64.
  The event has no `ip_address`; details name the network.

Distributed spray: the same kind of window across at least `distributed_spray_ips`
addresses, none of them a spray source alone (their failures are left out), each with at
most `spray_attempts_per_account` attempts per account, failing at least `spray_accounts`
accounts in one way: the same error code, application and client app. The accounts must be
mostly different per address (fewer than two addresses per account on average): a botnet
shares out its list; many addresses trying the same account is something else.

Ordinary mistakes are not sprays. A failure is "answered" when its account signs in
successfully from the same address less than a window before or after it: people who mistype
get it right soon after, attackers do not. A window counts only while fewer than half of its
accounts are answered; the answered ones are named in `accounts_with_success`. Failures
without an address or an account are left out.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.registry.detections import Kind, Number, detection
from security.detections import bursts
from security.detections.base import Context, Finding, Row
from security.models import DetectionSettings

PASSWORD_SPRAY = Kind("password_spray", _("Password spray"), Severity.ERROR)
DISTRIBUTED_SPRAY = Kind("distributed_spray", _("Distributed password spray"), Severity.ERROR)

SPRAY_FAILURES = bursts.PASSWORD_FAILURES | {bursts.UNKNOWN_ACCOUNT}
IPV4_PREFIX = 24
IPV6_PREFIX = 64


def address(ip: str | None) -> str:
    """The address in one spelling (IPv4-mapped IPv6 as IPv4), "" for none or nonsense."""
    try:
        parsed = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return str(parsed)


def network(ip: str) -> str:
    """The /24 or /64 an address (as `address` spells it) belongs to."""
    prefix = IPV6_PREFIX if ":" in ip else IPV4_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class _Tally:
    """A window's sprayed accounts: tried, but never more than the limit (`heavy` holds the
    failures with too many attempts around them), per address for a distributed spray
    (`by_address`), else per account; and how many of them are answered."""

    def __init__(self, settings: DetectionSettings, heavy: set[int], answered: set[int],
                 ip_of: dict[int, str], *, by_address: bool = False) -> None:
        self.accounts_needed = settings.spray_accounts
        self.addresses_needed = settings.distributed_spray_ips
        self.heavy, self.answered, self.ip_of = heavy, answered, ip_of
        self.by_address = by_address
        self.light: Counter[tuple[str, str]] = Counter()  # (address or "", account): failures
        self.heavier: Counter[tuple[str, str]] = Counter()  # … of them in `heavy`
        self.sprayed: Counter[str] = Counter()  # account: its sprayed pairs
        self.per_address: Counter[str] = Counter()  # address: its sprayed pairs
        self.hits: Counter[str] = Counter()  # account: its answered failures
        self.accounts = self.addresses = self.pairs = self.answered_accounts = 0

    def add(self, row: Row) -> None:
        self._step(row, 1)

    def remove(self, row: Row) -> None:
        self._step(row, -1)

    def ok(self) -> bool:
        if self.accounts < self.accounts_needed or 2 * self.answered_accounts >= self.accounts:
            return False
        return not self.by_address or (self.addresses >= self.addresses_needed
                                       and self.pairs < 2 * self.accounts)

    def _account(self, account: str) -> tuple[int, int]:
        sprayed = self.sprayed[account] > 0
        return int(sprayed), int(sprayed and self.hits[account] > 0)

    def _pair(self, pair: tuple[str, str]) -> int:
        return int(self.light[pair] > 0 and not self.heavier[pair])

    def _step(self, row: Row, step: int) -> None:
        account = row.user
        where = self.ip_of[row.id] if self.by_address else ""
        pair = (where, account)
        was, was_pair = self._account(account), self._pair(pair)
        (self.heavier if row.id in self.heavy else self.light)[pair] += step
        if change := self._pair(pair) - was_pair:
            self.sprayed[account] += change
            self.pairs += change
            pairs = self.per_address[where]
            self.per_address[where] = pairs + change
            self.addresses += (pairs + change > 0) - (pairs > 0)
        if row.id in self.answered:
            self.hits[account] += step
        now = self._account(account)
        self.accounts += now[0] - was[0]
        self.answered_accounts += now[1] - was[1]


@detection(PASSWORD_SPRAY, DISTRIBUTED_SPRAY, settings=[
    Number("spray_accounts", 10, _("spray: accounts"), minimum=2,
           help_text=_("Distinct accounts failing from one IP address within the window.")),
    Number("spray_attempts_per_account", 3, _("spray: attempts per account at most"),
           minimum=1),
    Number("spray_minutes", 60, _("spray: window (minutes)"), minimum=1),
    Number("distributed_spray_ips", 5, _("distributed spray: IP addresses"), minimum=2,
           help_text=_("Distinct addresses, each with few attempts, failing the same way across "
                       "many accounts within the spray window.")),
])
def detect(ctx: Context) -> list[Finding]:
    if not ctx.new:
        return []
    settings = ctx.settings
    span = timedelta(minutes=settings.spray_minutes)
    ip_of: dict[int, str] = {}
    failures: list[Row] = []
    successes: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for row in ctx.around(bursts.HISTORY * settings.spray_minutes):
        ip = address(row.ip_address)
        if not ip or not row.user:
            continue
        if row.error_code in SPRAY_FAILURES:
            ip_of[row.id] = ip
            failures.append(row)
        elif row.succeeded:
            successes[(ip, row.user)].append(row.created)
    answered = {r.id for r in failures
                if _near(successes.get((ip_of[r.id], r.user), []), r.created, span)}
    limit = settings.spray_attempts_per_account
    new = {r.id for r in ctx.new}

    found: dict[str, Finding] = {}
    known = bursts.Known(ctx, PASSWORD_SPRAY, span)
    # Every spray in the history read, reported now or before: none is part of a wider one.
    sprayed: set[int] = set()
    heavy = _heavy(failures, lambda r: (ip_of[r.id], r.user), span, limit)
    for ip, rows in bursts.by_source(failures, lambda r: ip_of[r.id]).items():
        for burst in bursts.bursts(rows, span, _Tally(settings, heavy, answered, ip_of)):
            sprayed.update(r.id for r in burst)
            _add(found, burst, new, answered, known, ctx, PASSWORD_SPRAY, ip,
                 {"source": ip}, ip_address=ip)
    rest = [r for r in failures if r.id not in sprayed]
    net_of = {r.id: network(ip_of[r.id]) for r in failures}
    heavy = _heavy(failures, lambda r: (net_of[r.id], r.user), span, limit)
    for net, rows in bursts.by_source(rest, lambda r: net_of[r.id]).items():
        for burst in bursts.bursts(rows, span, _Tally(settings, heavy, answered, ip_of)):
            sprayed.update(r.id for r in burst)
            _add(found, burst, new, answered, known, ctx, PASSWORD_SPRAY, net,
                 {"source": net, "network": net,
                  "addresses": len({ip_of[r.id] for r in burst})})

    known = bursts.Known(ctx, DISTRIBUTED_SPRAY, span)
    rest = [r for r in failures if r.id not in sprayed]
    heavy = _heavy(rest, lambda r: (_pattern(r), ip_of[r.id], r.user), span, limit)
    for pattern, rows in bursts.by_source(rest, _pattern).items():
        tally = _Tally(settings, heavy, answered, ip_of, by_address=True)
        for burst in bursts.bursts(rows, span, tally):
            first = burst[0]
            _add(found, burst, new, answered, known, ctx, DISTRIBUTED_SPRAY, pattern,
                 {"source": pattern, "error_code": first.error_code,
                  "app": first.app_display_name, "client_app": first.client_app_used,
                  "addresses": len({ip_of[r.id] for r in burst})})
    for finding in found.values():
        finding.details["window_minutes"] = settings.spray_minutes
    return list(found.values())


def _heavy(rows: list[Row], key: Callable[[Row], Hashable], span: timedelta,
           limit: int) -> set[int]:
    """The failures (`rows` oldest first) with more than `limit` of their kind (same `key`)
    less than `span` before or after them, themselves included: a source that tries the
    account that often is not spraying it, at that time."""
    times: dict[Hashable, list[datetime]] = defaultdict(list)
    for row in rows:
        times[key(row)].append(row.created)
    heavy = set()
    for row in rows:
        same = times[key(row)]
        if len(same) > limit and (bisect.bisect_left(same, row.created + span)
                                  - bisect.bisect_right(same, row.created - span)) > limit:
            heavy.add(row.id)
    return heavy


def _pattern(row: Row) -> str:
    """How a distributed spray's sign-ins fail alike: error code, application, client app."""
    return "|".join((str(row.error_code), row.app_display_name.strip().lower(),
                     row.client_app_used.strip().lower()))


def _near(times: list[datetime], at: datetime, span: timedelta) -> bool:
    """Whether a time in `times` (sorted) lies less than `span` from `at`, either side."""
    i = bisect.bisect_right(times, at - span)
    return i < len(times) and times[i] - at < span


def _add(found: dict[str, Finding], burst: list[Row], new: set[int], answered: set[int],
         known: bursts.Known, ctx: Context, kind: str, source: str, details: dict,
         ip_address: str | None = None) -> None:
    if not any(r.id in new for r in burst):
        return  # reported when these sign-ins were new
    first = burst[0]
    # A spray's key names its source (an address's burst and its network's may start alike);
    # a distributed spray's first failure implies its pattern.
    named = f"{source}:" if kind == PASSWORD_SPRAY else ""
    fresh = f"{kind.value}:{ctx.tenant.pk}:{named}{first.graph_id}"
    key = known.key(source, first.created, burst[-1].created, fresh)
    succeeded = sorted({r.user for r in burst if r.id in answered})
    if succeeded:  # only when any: a later part of the burst must not clear it
        details["accounts_with_success"] = succeeded
    finding = Finding(kind, key, burst, users=sorted({r.user for r in burst}),
                      ip_address=ip_address, details=details)
    if key in found:  # two parts of this batch's history continue one event
        earlier = found[key]
        finding = Finding(kind, key, earlier.evidence + burst,
                          users=sorted(set(earlier.users) | set(finding.users)),
                          ip_address=ip_address, details={**earlier.details, **details})
    found[key] = finding
