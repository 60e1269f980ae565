"""IP allow and deny rules: which client addresses may use the app at all.

Among the rules in force (enabled, not expired), for one address:
- the rule with the most specific network that contains it decides (a /32 over a /8, so an
  allow rule can open one address inside a denied network, and a deny rule can close one
  inside an allowed network); at equal specificity, deny wins;
- when no rule contains it, it is refused if any allow rule is in force (the rules are then
  an allowlist), and allowed otherwise.

Each process keeps the rules in memory and looks at their version in the shared cache at most
once a second. Saving or deleting a rule changes the version after the commit, so every
process reads the table again within about a second, and the one that saved at once.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from time import monotonic

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from security.choices import EventKind, IPRuleAction
from security.models import IPRule
from security.ratelimits import record_sparingly

VERSION_KEY = "security:iprules:version"
CHECK_EVERY = 1.0  # seconds between two looks at the shared version


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    network: str = ""  # the network of the rule that decided; empty when none matched


class RuleSet:
    def __init__(self, rules: Iterable[IPRule]) -> None:
        # Most specific first, deny before allow at the same length: the first match decides.
        self._rules = sorted(
            ((ipaddress.ip_network(rule.network, strict=False), rule)
             for rule in rules if rule.enabled),
            key=lambda pair: (-pair[0].prefixlen, pair[1].action != IPRuleAction.DENY),
        )

    def judge(self, address: str | None, now: datetime) -> Verdict:
        """The verdict on `address` (None: the peer's address is unknown) at `now`."""
        in_force = [(network, rule) for network, rule in self._rules if rule.in_force(now)]
        if address is not None:
            ip = ipaddress.ip_address(address)
            for network, rule in in_force:
                if ip in network:  # False across IPv4 and IPv6
                    return Verdict(rule.action == IPRuleAction.ALLOW, rule.network)
        return Verdict(not any(rule.action == IPRuleAction.ALLOW for _, rule in in_force))


def refuses(request: HttpRequest) -> bool:
    """Whether the rules refuse the request's `client_ip`; a refusal is recorded as an event,
    at most once a minute per address, so a flood does not write a row per request."""
    verdict = current().judge(request.client_ip, timezone.now())
    if not verdict.allowed:
        record_sparingly(EventKind.IP_DENIED, request.client_ip or "unknown", request=request,
                         blocked=True, rule=verdict.network)
    return not verdict.allowed


def would_refuse(rule: IPRule, address: str | None) -> bool:
    """Whether saving `rule` as it stands would refuse `address` (the admin's own)."""
    others = IPRule.objects.filter(enabled=True).exclude(pk=rule.pk)
    return not RuleSet([*others, rule]).judge(address, timezone.now()).allowed


# The copy kept by this process ---------------------------------------------------------------


@dataclass(frozen=True)
class _Copy:
    rules: RuleSet
    version: object
    checked: float  # monotonic() of the last look at the shared version


_copy: _Copy | None = None


def current() -> RuleSet:
    """The rules, as read when their shared version last changed."""
    global _copy
    copy, now = _copy, monotonic()
    if copy is not None and now - copy.checked < CHECK_EVERY:
        return copy.rules
    version = _shared_version()
    if copy is None or version != copy.version:
        # Version first, table second: a change committed in between has changed the version
        # again, so the next look reads the table again.
        copy = _Copy(RuleSet(IPRule.objects.filter(enabled=True)), version, now)
    else:
        copy = replace(copy, checked=now)
    _copy = copy
    return copy.rules


def _shared_version() -> object:
    try:
        return cache.get(VERSION_KEY)
    except Exception:
        # The cache is down (the health checks report it). A version never seen before makes
        # each look read the table: still one query a second at most, and no request fails.
        return object()


def changed() -> None:
    """Tells every process that the rules changed."""
    global _copy
    _copy = None
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def assume_empty() -> None:
    """Hold no rules, as of the current version, without reading the table.

    For tests, which each start on an empty table: a rule rolled back with a test announces no
    change, and reading the table would add a query to the first request of every test.
    """
    global _copy
    _copy = _Copy(RuleSet(()), _shared_version(), monotonic())


@receiver([post_save, post_delete], sender=IPRule, dispatch_uid="iprules_changed")
def _rule_changed(sender, **kwargs) -> None:
    # After the commit: a process that read the table before it would keep the old rules
    # under the new version.
    transaction.on_commit(changed, robust=True)
