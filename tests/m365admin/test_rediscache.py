"""The Redis cache fails fast for a moment after Redis failed, and comes back by itself."""

from __future__ import annotations

import time

import pytest
import redis

from m365admin.lib import rediscache
from tests.tcpproxy import TCPProxy

pytestmark = pytest.mark.redis


@pytest.fixture
def proxied_cache(settings, monkeypatch):
    monkeypatch.setattr(rediscache, "FAIL_FAST_SECONDS", 1.0)
    monkeypatch.setattr(rediscache, "_failed_until", 0.0)
    proxy = TCPProxy.in_front_of(settings.REDIS_URL)
    cache = rediscache.RedisCache(proxy.through(settings.REDIS_URL), {
        "KEY_PREFIX": "rediscache-test",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 0.5},
    })
    yield proxy, cache
    proxy.close()


def _timed(call):
    started = time.monotonic()
    try:
        call()
    except redis.RedisError as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def test_after_a_timeout_the_next_calls_fail_at_once(proxied_cache):
    proxy, cache = proxied_cache
    cache.set("key", "value")
    proxy.stall()
    error, seconds = _timed(lambda: cache.get("key"))
    assert isinstance(error, redis.TimeoutError) and seconds >= 0.5
    error, seconds = _timed(lambda: cache.get("key"))
    assert isinstance(error, redis.ConnectionError) and "not asked again yet" in str(error)
    assert seconds < 0.05


def test_it_asks_redis_again_once_the_moment_has_passed(proxied_cache):
    proxy, cache = proxied_cache
    proxy.cut()
    assert isinstance(_timed(lambda: cache.get("key"))[0], redis.ConnectionError)
    proxy.restore()
    assert "not asked again yet" in str(_timed(lambda: cache.get("key"))[0])
    time.sleep(1.0)
    cache.set("key", "back")
    assert cache.get("key") == "back"


def test_one_redis_client_serves_every_call(proxied_cache):
    # Django builds a Redis object per call; one per connection pool does the same work.
    _, cache = proxied_cache
    cache.set("key", "value")
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    assert cache.get("key") == "value" and cache._cache.get_client() is client
