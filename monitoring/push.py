"""The only module that talks to the channel layer: one group, a tick and a snapshot.

The tick is serialised once by the scheduler and sent as text; each consumer forwards the
same bytes, so fan-out costs no per-client encoding. The latest snapshot sits in the cache,
where every web process (and every newly connected client) finds it.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from channels.layers import get_channel_layer
from django.core.cache import cache

logger = logging.getLogger(__name__)

GROUP = "dashboard"
SNAPSHOT_KEY = "monitoring:snapshot"


class TickEvent(TypedDict):
    type: str  # "dashboard.tick": DashboardConsumer.dashboard_tick handles it
    text: str


async def send_tick(text: str) -> None:
    await get_channel_layer().group_send(GROUP, TickEvent(type="dashboard.tick", text=text))


def save_snapshot(text: str, timeout: float) -> None:
    cache.set(SNAPSHOT_KEY, text, timeout=timeout)


def load_snapshot() -> str | None:
    """The latest snapshot; None before the first tick, or when the cache does not answer."""
    try:
        return cache.get(SNAPSHOT_KEY)
    except Exception as exc:  # the cache backend's client errors: Redis down or unreachable
        logger.warning("dashboard snapshot not read, the cache did not answer: %s", exc)
        return None
