"""Django's Redis cache, failing fast for a moment after Redis failed.

With Redis down or unreachable, each cache call waits for its connect or read timeout (2 s,
settings.REDIS_CACHE_TIMEOUT), and one request makes several (IP rules, two rate limits, the
dashboard snapshot): a stalled Redis held an API call for 6 s or more. After one call fails,
this process's calls fail at once for FAIL_FAST_SECONDS; the callers already treat a cache
error as "no cache" (serve everyone, read the database).
"""

from __future__ import annotations

import time
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

FAIL_FAST_SECONDS = 3.0

_failed_until = 0.0  # time.monotonic() until which calls fail without asking Redis


class _Redis(redis.Redis):
    def execute_command(self, *args: Any, **options: Any) -> Any:
        global _failed_until
        if time.monotonic() < _failed_until:
            raise redis.ConnectionError(
                f"Redis failed less than {FAIL_FAST_SECONDS:g} s ago; not asked again yet")
        try:
            # redis-py leaves execute_command unannotated.
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except (redis.ConnectionError, redis.TimeoutError):
            _failed_until = time.monotonic() + FAIL_FAST_SECONDS
            raise


class _CacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client = _Redis
        self._clients: dict[int, _Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> _Redis:
        # Django builds a new Redis object on its pool for every call (~0.1 ms each, four or
        # five calls a request: IP rules, rate limits); one per pool serves them all alike.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # not in the stubs
        if id(pool) not in self._clients:  # the pools live as long as this object
            self._clients[id(pool)] = self._client(connection_pool=pool)
        return self._clients[id(pool)]


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _CacheClient
