"""The dashboard's websocket: the snapshot on connect, then every tick."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from m365admin.lib.asyncdb import in_worker_thread
from monitoring import push
from monitoring.permissions import can_view_dashboard
from monitoring.tick import encode, latest_snapshot

logger = logging.getLogger(__name__)

# Sent before the handshake completes, so the browser sees a refusal, never data.
CLOSE_FORBIDDEN = 4403
# No live updates without the channel layer: try again later (as HTTP 503; 4403 mirrors 403).
CLOSE_TRY_AGAIN_LATER = 4503
# Joining the group is one Redis round trip; past this the layer is taken as down. Above the
# layer's 2 s connect timeout (settings.REDIS_CONNECT_TIMEOUT), far below its 30 s read timeout.
JOIN_TIMEOUT = 3.0


def _language(scope: dict) -> str:
    """The page's language, which it names in the socket's URL (?lang=ja); else the default."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0]
    return asked if asked in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class DashboardConsumer(AsyncWebsocketConsumer):
    joined = False  # in the dashboard group
    layer_lost = False  # the channel layer failed while this socket waited for messages
    accepted = False

    # AsyncConsumer.__call__ reads the channel layer through `channel_receive`, and an error
    # there ends the consumer: an HTTP 500 at the handshake, close 1011 after it. Wrapped, the
    # error becomes one "layer lost" message, handled below like any other.
    @property
    def channel_receive(self):
        return self._channel_receive

    @channel_receive.setter
    def channel_receive(self, receive) -> None:
        async def until_it_fails():
            if self.layer_lost:
                await asyncio.Future()  # the socket is closing: nothing more comes from here
            try:
                return await receive()
            except Exception as exc:
                logger.warning("dashboard socket lost the channel layer: %s",
                               exc or type(exc).__name__)
                return {"type": "dashboard.layer_lost"}

        self._channel_receive = until_it_fails

    async def connect(self) -> None:
        if not await in_worker_thread(can_view_dashboard, self.scope.get("user")):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.language = _language(self.scope)
        self.joined = not self.layer_lost and await self._join()
        await self.accept()
        self.accepted = True
        if not self.joined:
            # Said first, so the page shows why before it draws what the database holds.
            await self.send(text_data=encode({"type": "unavailable"}))
        await self.send(text_data=await in_worker_thread(latest_snapshot, self.language))
        if not self.joined:
            await self.close(code=CLOSE_TRY_AGAIN_LATER)  # the page retries with backoff

    async def dashboard_layer_lost(self, event: dict) -> None:
        self.layer_lost = True
        if self.accepted:
            await self.send(text_data=encode({"type": "unavailable"}))
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
        # Before the handshake: connect() sees layer_lost and says so itself.

    async def _join(self) -> bool:
        try:
            await asyncio.wait_for(
                self.channel_layer.group_add(push.GROUP, self.channel_name), JOIN_TIMEOUT)
        except Exception as exc:  # the layer's client errors, or the timeout: Redis is away
            logger.warning("dashboard socket without live updates, the channel layer did not "
                           "answer: %s", exc or type(exc).__name__)
            return False
        return True

    async def disconnect(self, code: int) -> None:
        if not self.joined or self.layer_lost:
            return
        try:
            await asyncio.wait_for(
                self.channel_layer.group_discard(push.GROUP, self.channel_name), JOIN_TIMEOUT)
        except Exception as exc:
            # The group's membership expires by itself (channels_redis group_expiry).
            logger.warning("dashboard socket not removed from its group: %s",
                           exc or type(exc).__name__)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        # The dashboard only listens; anything a client sends is ignored.
        return

    async def dispatch(self, message) -> None:
        # Channels closes stale database connections (a hop through its worker thread) before
        # every handler; a tick touches no database, and with a thousand clients that hop per
        # client per tick was about a quarter of daphne's CPU (bench/fanout.py).
        if message["type"] == "dashboard.tick":
            await self.dashboard_tick(message)
        else:
            await super().dispatch(message)

    async def dashboard_tick(self, event: push.TickEvent) -> None:
        await self.send(text_data=push.in_language(event["texts"], self.language))
