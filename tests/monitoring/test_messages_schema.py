"""What a dashboard receives over its socket matches the committed JSON Schema of the typed
tick and snapshot (monitoring/messages.schema.json): a key renamed on either side fails here
before it silently blanks a tile or stops alert evaluation."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path

import jsonschema
import pytest
from channels.testing import WebsocketCommunicator

from m365admin.asgi import application
from monitoring import messages, push
from monitoring.tick import Ticker
from tests.factories import make_tenant

SCHEMA_FILE = Path(messages.__file__).with_name("messages.schema.json")
SCHEMA = json.loads(SCHEMA_FILE.read_text())


def _problems(message: dict) -> list[str]:
    """Every error, with those under the tick-or-snapshot choice (anyOf) that say what."""
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(message))
    found = []
    while errors:
        error = errors.pop()
        found.append(f"{'/'.join(map(str, error.absolute_path))}: {error.message}")
        errors += error.context or []
    return found


def test_the_committed_schema_is_the_one_the_messages_make():
    assert messages.schema() == SCHEMA, (
        "monitoring/messages.py changed the dashboard's messages: bring static/js/dashboard.js "
        "along, then regenerate the schema with "
        "`.venv/bin/python -m monitoring.messages > monitoring/messages.schema.json`")


@pytest.fixture
def received(client, viewer, settings, default_rules):
    """The snapshot a dashboard gets on connect and the tick after it, as the browser parses
    them, with a tenant (its tile) and every part measured."""
    settings.HEALTH_CHECK_TIMEOUT = 0.5
    settings.HEALTH_API_URL = "http://127.0.0.1:1/healthz"  # nothing listens: the API is down
    make_tenant(name="Contoso")
    client.force_login(viewer)
    headers = [(b"origin", b"http://localhost"),
               (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]

    async def scenario():
        ticker = Ticker()
        await ticker.tick()  # a snapshot with a latest tick and an hour of history
        socket = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
        assert (await socket.connect())[0]
        snapshot = await socket.receive_from(timeout=5)
        ticker._tiles_sent = None  # the tiles go out again with the next tick
        await ticker.tick()
        tick = await socket.receive_from(timeout=5)
        await socket.disconnect()
        return json.loads(snapshot), json.loads(tick)

    yield asyncio.run(scenario())
    push.save_snapshot("", timeout=0)


@pytest.mark.django_db(transaction=True)
def test_the_snapshot_and_the_tick_a_dashboard_receives_match_the_schema(received):
    snapshot, tick = received
    assert (snapshot["type"], tick["type"]) == ("snapshot", "tick")
    assert snapshot["latest"]["metrics"] and snapshot["history"]["metrics"]["t"]
    assert tick["tenants"][0]["name"] == "Contoso" and tick["health"] and tick["alerts"]
    assert _problems(snapshot) == []
    assert _problems(tick) == []


@pytest.mark.django_db(transaction=True)
def test_a_renamed_key_fails_the_schema(received):
    _snapshot, tick = received
    for *parents, key, renamed in [("health", 0, "latency_ms", "latency"),
                                   ("metrics", "memory", "mem"),
                                   ("tenants", 0, "signins_24h", "sign_ins_24h"),
                                   ("alerts", "open_alerts")]:
        changed = copy.deepcopy(tick)
        holder = changed
        for step in parents:
            holder = holder[step]
        holder[renamed] = holder.pop(key)
        problems = _problems(changed)
        assert any(f"'{renamed}' was unexpected" in problem for problem in problems), problems
