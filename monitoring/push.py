"""The only module that talks to the channel layer: one group, a tick and a snapshot.

The tick is serialised by the scheduler once per language (its health reasons in words) and
sent as texts; each consumer forwards the bytes of its viewer's language, so fan-out costs no
per-client encoding. The latest snapshot sits in the cache,
where every web process (and every newly connected client) finds it.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

GROUP = "dashboard"
SNAPSHOT_KEY = "monitoring:snapshot"


class TickEvent(TypedDict):
    type: str  # "dashboard.tick": DashboardConsumer.dashboard_tick handles it
    texts: dict[str, str]  # language code -> the tick in JSON


def by_language(texts: dict[str, str] | str) -> dict[str, str]:
    """One text per language; a plain text is the same in all (it has no words to translate)."""
    return {settings.LANGUAGE_CODE: texts} if isinstance(texts, str) else texts


def in_language(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()))


async def send_tick(texts: dict[str, str] | str) -> None:
    await get_channel_layer().group_send(
        GROUP, TickEvent(type="dashboard.tick", texts=by_language(texts)))


def save_snapshot(texts: dict[str, str] | str, timeout: float) -> None:
    cache.set(SNAPSHOT_KEY, by_language(texts) if texts else None, timeout=timeout)


def load_snapshot(language: str | None = None) -> str | None:
    """The latest snapshot in `language` (default: the project's); None before the first tick,
    or when the cache does not answer."""
    try:
        texts = cache.get(SNAPSHOT_KEY)
    except Exception as exc:  # the cache backend's client errors: Redis down or unreachable
        logger.warning("dashboard snapshot not read, the cache did not answer: %s", exc)
        return None
    return in_language(texts, language or settings.LANGUAGE_CODE) if texts else None
