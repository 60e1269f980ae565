"""The dashboard websocket, driven through the real ASGI application."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from m365admin.asgi import application
from monitoring import push
from monitoring.consumers import CLOSE_FORBIDDEN

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


def _headers(client=None, user=None, origin=ORIGIN) -> list[tuple[bytes, bytes]]:
    """Signed in through the test client (outside the event loop: it uses the ORM)."""
    headers = [origin] if origin else []
    if user is not None:
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


def _socket(headers) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)


async def _refused(socket: WebsocketCommunicator):
    connected, code = await socket.connect()
    assert not connected
    assert await socket.receive_nothing()
    return code


def test_an_anonymous_socket_is_closed_before_anything_is_sent():
    assert asyncio.run(_refused(_socket(_headers()))) == CLOSE_FORBIDDEN


def test_a_user_without_the_dashboard_permission_is_refused(client, outsider):
    assert asyncio.run(_refused(_socket(_headers(client, outsider)))) == CLOSE_FORBIDDEN


def test_a_foreign_origin_is_refused(client, viewer):
    socket = _socket(_headers(client, viewer, origin=(b"origin", b"https://evil.example")))
    asyncio.run(_refused(socket))


def test_a_missing_origin_is_refused(client, viewer):
    asyncio.run(_refused(_socket(_headers(client, viewer, origin=None))))


def test_a_viewer_gets_the_snapshot_on_connect(client, viewer):
    headers = _headers(client, viewer)

    async def scenario():
        socket = _socket(headers)
        connected, _ = await socket.connect()
        assert connected
        message = json.loads(await socket.receive_from())
        await socket.disconnect()
        return message

    message = asyncio.run(scenario())
    assert message["type"] == "snapshot"
    assert message["latest"] is None  # no tick yet
    assert set(message["history"]) == {"metrics", "requests"}
    assert message["tenants"] == []


def test_the_saved_snapshot_is_sent_as_is(client, viewer):
    push.save_snapshot('{"type":"snapshot","marker":42}', timeout=60)

    headers = _headers(client, viewer)

    async def scenario():
        socket = _socket(headers)
        await socket.connect()
        text = await socket.receive_from()
        await socket.disconnect()
        return text

    try:
        assert asyncio.run(scenario()) == '{"type":"snapshot","marker":42}'
    finally:
        push.save_snapshot("", timeout=0)


def test_a_tick_reaches_every_connected_client(client, viewer):
    headers = _headers(client, viewer)

    async def scenario():
        sockets = [_socket(headers) for _ in range(3)]
        for socket in sockets:
            assert (await socket.connect())[0]
            await socket.receive_from()  # the snapshot
        await push.send_tick('{"type":"tick","t":1}')
        received = [await socket.receive_from() for socket in sockets]
        for socket in sockets:
            await socket.disconnect()
        return received

    assert asyncio.run(scenario()) == ['{"type":"tick","t":1}'] * 3


def test_messages_from_the_client_are_ignored(client, viewer):
    headers = _headers(client, viewer)

    async def scenario():
        socket = _socket(headers)
        await socket.connect()
        await socket.receive_from()
        await socket.send_to(text_data='{"type":"dashboard.tick","text":"forged"}')
        nothing = await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()
        return nothing

    assert asyncio.run(scenario())
