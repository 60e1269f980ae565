"""The authentication check: our sign-in (sessions, users) and per-tenant token issuance."""

from __future__ import annotations

import pytest

from collectors.health import auth
from m365admin.choices import Component, HealthStatus

pytestmark = pytest.mark.django_db

TIMEOUT = 0.5
REDIS_DOWN = "redis://127.0.0.1:1/0"  # port 1: nothing listens


def test_it_is_up_with_no_tenants():
    health = auth.check(TIMEOUT)
    assert (health.component, health.status) == (Component.AUTH, HealthStatus.UP)
    assert health.reason == "sessions and users answer; no tenants configured"


def test_it_is_up_when_the_tenant_gets_a_token(sim_tenant):
    health = auth.check(TIMEOUT)
    assert health.status == HealthStatus.UP
    assert health.reason == "sessions and users answer; tokens issued for 1 tenant"


def test_one_tenant_refused_a_token_of_two_is_degraded(make_sim_tenant):
    refused, _ = make_sim_tenant(users=5, signins=0)
    make_sim_tenant(users=5, signins=0)
    refused.set_client_secret("wrong-secret-value-123")
    refused.save()
    health = auth.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert health.reason.startswith(f"{refused.name}: cannot get a token")
    assert "AADSTS7000215" in health.reason


def test_every_tenant_refused_a_token_is_down(sim_tenant):
    tenant, _ = sim_tenant
    tenant.set_client_secret("wrong-secret-value-123")
    tenant.save()
    assert auth.check(TIMEOUT).status == HealthStatus.DOWN


def test_an_unreadable_secret_is_down(sim_tenant):
    tenant, _ = sim_tenant
    tenant.client_secret_encrypted = "not-a-fernet-token"
    tenant.save()
    health = auth.check(TIMEOUT)
    assert health.status == HealthStatus.DOWN
    assert "client secret unreadable" in health.reason


def test_it_is_down_when_the_session_store_fails(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_DOWN}}
    health = auth.check(TIMEOUT)
    assert health.status == HealthStatus.DOWN
    assert health.reason.startswith("sign-in unavailable: session store failed: ")
    assert "Connection refused" in health.reason
