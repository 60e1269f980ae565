"""Aggregates kept under the version of their data (m365admin.lib.versioned_cache), in the
configured cache (Redis in CI) and with a cache that does not answer."""

from __future__ import annotations

import logging

from m365admin.lib import versioned_cache


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> list[int]:
        self.calls += 1
        return [self.calls]


def test_the_same_query_at_the_same_version_is_computed_once():
    compute = Counting()
    assert versioned_cache.cached("t", ("q", 1), (5, "v"), compute) == [1]
    assert versioned_cache.cached("t", ("q", 1), (5, "v"), compute) == [1]
    assert compute.calls == 1


def test_a_new_version_or_another_query_is_computed_afresh():
    compute = Counting()
    versioned_cache.cached("t", "q", 1, compute)
    assert versioned_cache.cached("t", "q", 2, compute) == [2]
    assert versioned_cache.cached("t", "other", 2, compute) == [3]
    assert versioned_cache.cached("u", "q", 2, compute) == [4]  # another name, another key
    assert versioned_cache.cached("t", "q", 2, compute) == [2]


def test_an_empty_answer_is_kept_too():
    calls = []
    for _ in range(2):
        assert versioned_cache.cached("t", "q", 1, lambda: calls.append(1) or []) == []
    assert len(calls) == 1


def test_a_cache_that_does_not_answer_means_computing_every_time(settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens
    compute = Counting()
    with caplog.at_level(logging.WARNING, logger="m365admin.lib.versioned_cache"):
        assert versioned_cache.cached("t", "q", 1, compute) == [1]
        assert versioned_cache.cached("t", "q", 1, compute) == [2]
    assert "t computed without the cache, which did not answer" in caplog.text
