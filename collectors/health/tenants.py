"""What the per-tenant checks (Graph, Exchange, Authentication) share: the tenants, a probe
client per tenant, token issuance, and one rule for combining tenants into a component."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from collectors.clients import config_for
from collectors.graph import GraphClient, GraphError, Limiter
from m365admin.choices import HealthStatus, worst
from m365admin.lib.crypto import SecretUnreadable
from m365admin.lib.health import Health
from m365admin.models import Tenant
from m365admin.texts import Message, items, message

# Probes get their own slots, so a sync that fills the collectors' limiter cannot starve them.
_PROBE_LIMITER = Limiter(8)
_probes: dict[int, GraphClient] = {}
_lock = threading.Lock()
_MAX_PARALLEL_TENANTS = 8


def enabled_tenants() -> list[Tenant]:
    return list(Tenant.objects.enabled())


def probe_client(tenant: Tenant, timeout: float) -> GraphClient:
    """The tenant's probe client: one attempt per call, each bounded by `timeout`.

    Not the collectors' client (collectors.clients.client_for): that one retries 503s and
    honours Retry-After for minutes, right for a sync, wrong for a check that must answer now.
    Raises SecretUnreadable when the tenant's secret cannot be decrypted.
    """
    config = replace(config_for(tenant), timeout=timeout)
    with _lock:
        known = _probes.get(tenant.pk)
        if known is not None and known.config == config:
            return known
        client = GraphClient(config, limiter=_PROBE_LIMITER, max_attempts=1)
        _probes[tenant.pk] = client
    if known is not None:
        known.close()
    return client


def token_problem(tenant: Tenant, timeout: float) -> Message | None:
    """Why the identity platform issues no token for this tenant, or None when it does."""
    try:
        probe_client(tenant, timeout).token()
    except SecretUnreadable as exc:
        return message("health.secret_unreadable", error=str(exc))
    except GraphError as exc:
        return exc.text
    return None


def graph_error_text(exc: GraphError) -> Message:
    """'Graph answered HTTP 503 serviceNotAvailable', or the transport failure's own words."""
    if exc.status is None:
        return exc.text
    if exc.code:
        return message("health.graph.status_code", status=exc.status, code=exc.code)
    return message("health.graph.status", status=exc.status)


@dataclass
class TenantHealth:
    """One tenant's part of a component's health."""

    tenant: Tenant
    status: str = HealthStatus.UP
    problems: list[Message] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def fail(self, status: str, problem: Message) -> None:
        self.status = worst([self.status, status])
        self.problems.append(problem)

    def as_details(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant.name,
            "code": str(self.tenant.code),
            "status": str(self.status),
            "problems": self.problems,
            **self.facts,
        }


def for_each_tenant(
    tenants: list[Tenant], check: Callable[[Tenant], TenantHealth]
) -> list[TenantHealth]:
    """Check the tenants side by side, so one slow tenant does not use up the others' time.

    `check` runs in pool threads and must not touch the ORM: nothing would close their
    connections.
    """
    if len(tenants) <= 1:
        return [check(tenant) for tenant in tenants]
    workers = min(_MAX_PARALLEL_TENANTS, len(tenants))
    with ThreadPoolExecutor(workers, thread_name_prefix="health-tenant") as pool:
        return list(pool.map(check, tenants))


def summarise(
    component: str,
    parts: list[TenantHealth],
    latency_ms: float | None,
    up_reason: Message,
    details: dict[str, Any] | None = None,
) -> Health:
    """Every tenant down: down. Any tenant not up: degraded, naming each one and its problems."""
    details = {**(details or {}), "tenants": [part.as_details() for part in parts]}
    failing = [part for part in parts if part.status != HealthStatus.UP]
    if not failing:
        return Health(component, HealthStatus.UP, latency_ms, up_reason, details)
    status = (
        HealthStatus.DOWN
        if all(part.status == HealthStatus.DOWN for part in parts)
        else HealthStatus.DEGRADED
    )
    reason = items([message("health.tenant_problems", tenant=part.tenant.name,
                            problems=items(part.problems)) for part in failing], "semicolon")
    return Health(component, status, latency_ms, reason, details)


def tenant_count(count: int) -> dict[str, Any]:
    """'1 tenant', '3 tenants'."""
    return message("tenants", n=count)
