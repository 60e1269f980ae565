"""The ceiling for bench/fanout.py: a bare consumer that joins a group and forwards the text.

No origin check, session, user or snapshot: what fan-out costs on daphne and the Redis
channel layer with nothing of ours around it. Run by the benchmark as

    daphne -b 127.0.0.1 -p PORT bench.bare_asgi:application
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "m365admin.settings")
django.setup()  # only for CHANNEL_LAYERS: the same Redis layer as the app's

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402

GROUP = "bench-bare"
MESSAGE_TYPE = "bench.tick"


class BareConsumer(AsyncWebsocketConsumer):
    groups = [GROUP]  # joined before connect() accepts, left on disconnect

    async def dispatch(self, message) -> None:
        # Straight to the handler, as DashboardConsumer does for ticks: without this, channels
        # closes stale database connections through its worker thread before every message,
        # and the "ceiling" would be slower than the consumer it bounds.
        if message["type"] == MESSAGE_TYPE:
            await self.bench_tick(message)
        else:
            await super().dispatch(message)

    async def bench_tick(self, event: dict) -> None:
        await self.send(text_data=event["text"])


application = BareConsumer.as_asgi()
