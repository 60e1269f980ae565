"""The cache and channel-layer check: round trips through the configured backends."""

from __future__ import annotations

import time

import pytest

from m365admin.choices import Component, HealthStatus
from monitoring.health import cache

TIMEOUT = 0.5
REDIS_DOWN = "redis://127.0.0.1:1/0"  # port 1: nothing listens
IN_PROCESS = {
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "CHANNEL_LAYERS": {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
}


@pytest.fixture
def in_process(settings):
    """The embedded default, whatever REDIS_URL says."""
    for name, value in IN_PROCESS.items():
        setattr(settings, name, value)
    return settings


def test_it_is_up_in_process_and_names_the_backends(in_process):
    health = cache.check(TIMEOUT)
    assert (health.component, health.status) == (Component.CACHE, HealthStatus.UP)
    assert health.reason.startswith("LocMemCache and InMemoryChannelLayer answer in ")
    assert health.details["cache"] == "LocMemCache"
    assert health.details["channel_layer"] == "InMemoryChannelLayer"


@pytest.mark.redis
def test_it_is_up_on_redis(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": settings.REDIS_URL}}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [settings.REDIS_URL]}}}
    health = cache.check(TIMEOUT)
    assert health.status == HealthStatus.UP
    assert health.reason.startswith("RedisCache and RedisChannelLayer answer in ")


def test_it_is_degraded_when_slower_than_the_threshold(in_process):
    in_process.HEALTH_SLOW_MS = 0.000001
    health = cache.check(TIMEOUT)
    assert health.status == HealthStatus.DEGRADED
    assert "slower than 0.0 ms" in health.reason


def test_it_is_down_within_the_timeout_when_the_redis_cache_is_unreachable(in_process):
    in_process.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                     "LOCATION": REDIS_DOWN}}
    started = time.perf_counter()
    health = cache.check(TIMEOUT)
    assert time.perf_counter() - started < TIMEOUT
    assert health.status == HealthStatus.DOWN
    assert health.reason.startswith("cache (RedisCache) unreachable: ")
    assert "Connection refused" in health.reason


def test_it_is_down_within_the_timeout_when_the_redis_channel_layer_is_unreachable(in_process):
    in_process.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_DOWN]},
    }}
    started = time.perf_counter()
    health = cache.check(TIMEOUT)
    assert time.perf_counter() - started < TIMEOUT
    assert health.status == HealthStatus.DOWN
    assert health.reason.startswith("channel layer (RedisChannelLayer) unreachable: ")


def test_a_cache_that_keeps_nothing_is_down(in_process):
    in_process.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    health = cache.check(TIMEOUT)
    assert health.status == HealthStatus.DOWN
    assert health.reason == "cache (DummyCache): a value just stored could not be read back"


def test_no_channel_layer_is_down(in_process):
    in_process.CHANNEL_LAYERS = {}
    health = cache.check(TIMEOUT)
    assert health.status == HealthStatus.DOWN
    assert health.reason.startswith("no channel layer configured")
