"""Django's Redis cache, failing fast for a moment after Redis failed.

With Redis down or unreachable, each cache call waits for its connect or read timeout (2 s,
settings.REDIS_CACHE_TIMEOUT), and one request makes several (IP rules, two rate limits, the
dashboard snapshot): a stalled Redis held an API call for 6 s or more. After one call fails,
this process's calls fail at once for FAIL_FAST_SECONDS; the callers already treat a cache
error as "no cache" (serve everyone, read the database).
"""

from __future__ import annotations

import time

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

FAIL_FAST_SECONDS = 3.0

_failed_until = 0.0  # time.monotonic() until which calls fail without asking Redis


class _Redis(redis.Redis):
    def execute_command(self, *args, **options):
        global _failed_until
        if time.monotonic() < _failed_until:
            raise redis.ConnectionError(
                f"Redis failed less than {FAIL_FAST_SECONDS:g} s ago; not asked again yet")
        try:
            return super().execute_command(*args, **options)
        except (redis.ConnectionError, redis.TimeoutError):
            _failed_until = time.monotonic() + FAIL_FAST_SECONDS
            raise


class _CacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._client = _Redis


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _CacheClient
