"""Cache and channel layer: a Django cache round trip and a channel-layer send/receive."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches

from m365admin.choices import Component, HealthStatus
from m365admin.lib.health import Health, error_text, ms, ms_since
from m365admin.registry.health import health_check
from m365admin.texts import Message, message


class RoundTripFailed(Exception):
    """The backend answered, but did not give back what was just put in."""


def cache_round_trip() -> None:
    """Set, read back and delete a throwaway key; raises when the cache fails or forgets."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    key = f"monitoring.health.{uuid.uuid4().hex}"
    cache.set(key, key, timeout=60)
    try:
        if cache.get(key) != key:
            raise RoundTripFailed("a value just stored could not be read back")
    finally:
        cache.delete(key)


@health_check(Component.CACHE)
def check(timeout: float) -> Health:
    cache_name = type(caches[DEFAULT_CACHE_ALIAS]).__name__
    layer = get_channel_layer()
    layer_name = type(layer).__name__ if layer is not None else "none"
    details: dict[str, Any] = {"cache": cache_name, "channel_layer": layer_name}
    started = time.perf_counter()
    try:
        cache_round_trip()
    except RoundTripFailed:
        return _down(started, message("health.cache.forgets", cache=cache_name), details)
    except Exception as exc:  # each backend raises its own client's errors (redis, memcached…)
        return _down(started, message("health.cache.unreachable", cache=cache_name,
                                      error=error_text(exc)), details)
    details["cache_ms"] = round(ms_since(started), 1)
    if layer is None:
        return _down(started, message("health.cache.no_layer"), details)
    layer_started = time.perf_counter()
    try:
        asyncio.run(_channel_round_trip(layer, timeout))
    except TimeoutError:
        return _down(started, message("health.layer.no_delivery", layer=layer_name,
                                      seconds=f"{timeout:g}"), details)
    except RoundTripFailed:
        return _down(started, message("health.layer.other_message", layer=layer_name), details)
    except Exception as exc:
        return _down(started, message("health.layer.unreachable", layer=layer_name,
                                      error=error_text(exc)), details)
    details["channel_layer_ms"] = round(ms_since(layer_started), 1)
    latency = ms_since(started)
    if latency > settings.HEALTH_SLOW_MS:
        return Health(Component.CACHE, HealthStatus.DEGRADED, latency,
                      message("health.cache.slow", cache=cache_name, layer=layer_name,
                              ms=ms(latency), limit=ms(settings.HEALTH_SLOW_MS)), details)
    return Health(Component.CACHE, HealthStatus.UP, latency,
                  message("health.cache.up", cache=cache_name, layer=layer_name, ms=ms(latency)),
                  details)


async def _channel_round_trip(layer: BaseChannelLayer, timeout: float) -> None:
    # A channel of our own, on this thread's loop. The in-memory layer is not thread-safe, but
    # a name no one else uses shares no queue with the server's loop (only its expiry sweep
    # reads the shared dicts). The Redis layer keeps a connection pool per loop and closes it
    # when asyncio.run closes the loop.
    channel = f"monitoring.health.{uuid.uuid4().hex}"
    nonce = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.ping", "nonce": nonce})
    message = await asyncio.wait_for(layer.receive(channel), timeout)
    if message.get("nonce") != nonce:
        raise RoundTripFailed("the channel layer returned another message")


def _down(started: float, reason: Message, details: dict[str, Any]) -> Health:
    return Health(Component.CACHE, HealthStatus.DOWN, ms_since(started), reason, details)
