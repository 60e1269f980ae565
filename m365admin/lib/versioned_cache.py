"""Costly read-only aggregates kept in Django's cache under the version of the data they read.

A page asked again before its data changed (the same query, the same version) is answered
from the cache; a write the version sees makes a new key, so the next request computes afresh.
TIMEOUT bounds how long a change the version cannot see would go unnoticed. The cache not
answering (Redis down) only means computing every time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Seconds an answer is kept.
TIMEOUT = 300
# Every key starts with this (tests give each test its own: they roll back, the cache does not).
NAMESPACE = "aggregate:"
_MISSING = object()


def cached[T](name: str, query: object, version: object, compute: Callable[[], T]) -> T:
    """compute(), or what it returned for the same `query` (its SQL and parameters, say) while
    the data it reads was at `version`. Both must have a stable repr."""
    digest = hashlib.sha256(repr((query, version)).encode()).hexdigest()
    key = f"{NAMESPACE}{name}:{digest}"
    try:
        found = cache.get(key, _MISSING)
    except Exception as exc:  # the cache backend's client errors: Redis down or unreachable
        logger.warning("%s computed without the cache, which did not answer: %s", name, exc)
        return compute()
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]  # what compute() returned for this key
    value = compute()
    try:
        cache.set(key, value, TIMEOUT)
    except Exception as exc:  # as above
        logger.warning("%s not kept, the cache did not answer: %s", name, exc)
    return value
