"""The dashboard's websocket: the snapshot on connect, then every tick."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer

from m365admin.lib.asyncdb import in_worker_thread
from monitoring import push
from monitoring.permissions import can_view_dashboard
from monitoring.tick import build_snapshot, encode

# Sent before the handshake completes, so the browser sees a refusal, never data.
CLOSE_FORBIDDEN = 4403


class DashboardConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        if not await in_worker_thread(can_view_dashboard, self.scope.get("user")):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(push.GROUP, self.channel_name)
        await self.accept()
        await self.send(text_data=await in_worker_thread(_snapshot))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(push.GROUP, self.channel_name)

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
        await self.send(text_data=event["text"])


def _snapshot() -> str:
    # Until the scheduler has ticked (or after its snapshot expired), build one from the database.
    return push.load_snapshot() or encode(build_snapshot(latest=None))
