"""Authentication: our own sign-in (sessions and the user table) and, per enabled tenant,
token issuance by the Microsoft identity platform."""

from __future__ import annotations

import time
import uuid
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError

from collectors.health.tenants import (
    TenantHealth,
    enabled_tenants,
    for_each_tenant,
    summarise,
    tenant_count,
    token_problem,
)
from m365admin.choices import Component, HealthStatus
from m365admin.lib.health import Health, error_text, ms_since
from m365admin.models import Tenant
from m365admin.registry.health import health_check
from m365admin.texts import Message, message

_SESSION_KEY = "monitoring.health"


@health_check(Component.AUTH)
def check(timeout: float) -> Health:
    started = time.perf_counter()
    problem = _sign_in_problem()
    if problem is not None:
        return Health(Component.AUTH, HealthStatus.DOWN, ms_since(started),
                      message("health.auth.sign_in", problem=problem))
    tenants = enabled_tenants()
    parts = for_each_tenant(tenants, lambda tenant: _token_part(tenant, timeout))
    tokens = (message("health.auth.tokens", tenants=tenant_count(len(parts))) if parts
              else message("health.no_tenants"))
    return summarise(Component.AUTH, parts, ms_since(started),
                     message("health.auth.up", tokens=tokens),
                     {"session_engine": settings.SESSION_ENGINE})


def _sign_in_problem() -> Message | None:
    """Why nobody could sign in right now, or None: the session store or user table failing."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    nonce = uuid.uuid4().hex
    try:
        session = store()
        session[_SESSION_KEY] = nonce
        session.save()
        try:
            if store(session_key=session.session_key).get(_SESSION_KEY) != nonce:
                return message("health.auth.session_forgets")
        finally:
            session.delete()
    except Exception as exc:  # database, cache or file store: each fails with its own errors
        return message("health.auth.session_failed", error=error_text(exc))
    try:
        get_user_model().objects.exists()
    except DatabaseError as exc:
        return message("health.auth.users_unreadable", error=error_text(exc))
    return None


def _token_part(tenant: Tenant, timeout: float) -> TenantHealth:
    part = TenantHealth(tenant)
    problem = token_problem(tenant, timeout)
    if problem is not None:
        part.fail(HealthStatus.DOWN, problem)
    return part
