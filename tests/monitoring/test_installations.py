"""Two installations sharing one Redis database (CACHE_KEY_PREFIX apart) never see each
other's ticks: each runs its own `serve` process and database, with real websocket clients."""

from __future__ import annotations

import json
import uuid
from contextlib import ExitStack

import pytest
from django.conf import settings
from websockets.sync.client import connect

from tests.live import LiveSite, login_cookie

pytestmark = pytest.mark.redis


def _send_tick(site: LiveSite, text: str) -> None:
    """The tick goes out as the scheduler sends it, from a process of that installation."""
    site.manage("shell", "-c", "import asyncio\nfrom monitoring.push import send_tick\n"
                               f"asyncio.run(send_tick({text!r}))\n")


@pytest.fixture
def two_installations(tmp_path, collected_static):
    sites = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            site = LiveSite(tmp_path / name, REDIS_URL=settings.REDIS_URL,
                            CACHE_KEY_PREFIX=f"installation-{name}-{uuid.uuid4().hex}")
            sites.append(site)
            site.prepare(collected_static)
        yield sites
    finally:
        for site in sites:
            site.stop()


def test_a_tick_sent_in_one_installation_never_reaches_the_others_dashboard(two_installations):
    bases = [site.serve("--no-scheduler") for site in two_installations]
    with ExitStack() as stack:
        sockets = [
            stack.enter_context(connect(
                base.replace("http", "ws") + "/ws/dashboard/",
                additional_headers={"Cookie": login_cookie(base), "Origin": base},
            ))
            for base in bases
        ]
        for socket in sockets:
            assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"
        for sender, other in [(0, 1), (1, 0)]:
            text = json.dumps({"type": "tick", "from": f"installation {sender}"})
            _send_tick(two_installations[sender], text)
            # Through Redis to the sender's own dashboard: the message did go out...
            assert sockets[sender].recv(timeout=10) == text
            # ...and the other installation's dashboard, on the same Redis db, never gets it.
            with pytest.raises(TimeoutError):
                sockets[other].recv(timeout=2)
