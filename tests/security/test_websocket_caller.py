"""A reconnect storm's sockets of one user share one reading of that user
(security/middleware.py, SOCKET_USER_SECONDS): signing out still counts at once, another user
never gets it, and a change of role reaches new sockets once the reading is that old."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from m365admin.asgi import application
from security import middleware

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clock(monkeypatch):
    """The readings' clock, moved by the test (the event loop keeps the real one)."""
    now = [1000.0]
    monkeypatch.setattr(middleware, "monotonic", lambda: now[0])
    return now


def signed_in(user) -> tuple[Client, list[tuple[bytes, bytes]]]:
    client = Client()
    client.force_login(user)
    return client, [(b"origin", b"http://localhost"),
                    (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


def connects(headers) -> bool:
    async def attempt() -> bool:
        socket = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
        connected, _ = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected

    return asyncio.run(attempt())


def test_a_signed_out_session_is_refused_right_after_its_user_was_admitted(clock, viewer):
    client, headers = signed_in(viewer)
    assert connects(headers)

    client.logout()  # the session row is gone; the user's reading is still fresh

    assert not connects(headers)


def test_a_reading_admits_no_other_user(clock, viewer, outsider):
    assert connects(signed_in(viewer)[1])
    assert not connects(signed_in(outsider)[1])


def test_a_removed_role_reaches_new_sockets_once_the_reading_is_old_enough(clock, viewer):
    _, headers = signed_in(viewer)
    assert connects(headers)
    viewer.groups.clear()

    assert connects(headers)  # the storm's leeway: the reading is reused
    clock[0] += middleware.SOCKET_USER_SECONDS
    assert not connects(headers)
