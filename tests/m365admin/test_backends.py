"""The shared backends REDIS_URL switches on: Django's cache and the channel layer."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import caches

pytestmark = pytest.mark.redis


def test_the_cache_is_redis_and_round_trips():
    cache = caches["default"]
    assert cache.__class__.__name__ == "RedisCache"
    key = f"test-{uuid.uuid4().hex}"
    cache.set(key, {"value": 1}, timeout=10)
    assert cache.get(key) == {"value": 1}
    cache.delete(key)


def test_the_channel_layer_is_redis_and_delivers_to_a_group():
    layer = get_channel_layer()
    assert layer.__class__.__name__ == "RedisChannelLayer"

    async def round_trip() -> dict:
        channel = await layer.new_channel()
        await layer.group_add("test-dashboard", channel)
        await layer.group_send("test-dashboard", {"type": "tick", "n": 1})
        message = await layer.receive(channel)
        await layer.group_discard("test-dashboard", channel)
        return message

    assert async_to_sync(round_trip)() == {"type": "tick", "n": 1}
