"""A whole tick: measured, recorded, pushed to connected clients, and kept as the snapshot."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from m365admin.asgi import application
from m365admin.choices import Component
from monitoring import push
from monitoring.models import Alert, ComponentHealth, MetricSample
from monitoring.tick import Ticker, encode, in_words
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_checks(settings):
    settings.HEALTH_CHECK_TIMEOUT = 0.5
    settings.HEALTH_API_URL = "http://127.0.0.1:1/healthz"  # nothing listens: the API is down
    yield
    push.save_snapshot("", timeout=0)


def test_a_tick_is_recorded_and_reaches_a_connected_dashboard(client, viewer, default_rules):
    make_tenant(name="Contoso")
    client.force_login(viewer)
    headers = [(b"origin", b"http://localhost"),
               (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
        assert (await socket.connect())[0]
        await socket.receive_from()  # the snapshot
        ticker = Ticker()
        first = await ticker.tick()
        received = json.loads(await socket.receive_from(timeout=5))
        second = await ticker.tick()
        await socket.receive_from(timeout=5)
        await socket.disconnect()
        return first, received, second

    first, received, second = asyncio.run(scenario())
    # The same tick, its health reasons in the viewer's words (English here).
    assert received == json.loads(encode(in_words(first)))
    assert all(isinstance(entry["reason"], str) for entry in received["health"])
    assert received["metrics"]["memory"] > 0
    health = {h["component"]: h for h in received["health"]}
    assert list(health) == ["api", "database", "graph", "exchange", "auth", "cache", "queue"]
    assert health["api"]["status"] == "down"
    assert health["database"]["status"] == "up"
    assert [t["name"] for t in received["tenants"]] == ["Contoso"]
    assert "tenants" not in json.loads(encode(second))  # unchanged tiles are not sent again
    # The API is down: its rule is pending (60 s), so nothing is open yet.
    assert received["alerts"] == {"info": 0, "warning": 0, "error": 0, "critical": 0}
    pending = set(Alert.objects.filter(status="pending").values_list("rule__name", flat=True))
    assert "Component down: api" in pending, pending
    assert MetricSample.objects.count() == 2
    assert ComponentHealth.objects.count() == len(Component)

    snapshot = json.loads(push.load_snapshot())
    assert snapshot["latest"]["t"] == second.t
    assert len(snapshot["history"]["metrics"]["t"]) == 2
    assert [t["name"] for t in snapshot["tenants"]] == ["Contoso"]


def test_a_tick_goes_out_even_when_a_part_fails(monkeypatch, caplog):
    ticker = Ticker()

    def broken():
        raise OSError("psutil exploded")

    monkeypatch.setattr(ticker, "_sample", broken)
    message = asyncio.run(ticker.tick())
    assert message.metrics is None
    assert len(message.health) == len(Component)
    assert "metrics unavailable: psutil exploded" in caplog.text


def test_a_tick_without_its_channel_layer_is_still_recorded_and_kept_as_the_snapshot(
        settings, caplog):
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # port 1: nothing listens
    }}
    message = asyncio.run(Ticker().tick())
    assert "tick not pushed to dashboards, the channel layer did not answer" in caplog.text
    assert MetricSample.objects.count() == 1
    assert json.loads(push.load_snapshot())["latest"]["t"] == message.t
