"""Health reasons and collector errors are stored language-neutral (a code and parameters) and
read in the reader's language: the dashboard's socket, the tenants page, the API, the alert
page and notifications. Rows stored before, as plain English, still show."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.utils import timezone, translation

from collectors.graph.errors import GraphUnavailable
from m365admin.asgi import application
from m365admin.choices import Collector, Component, HealthStatus, SyncStatus
from m365admin.lib.health import Health
from m365admin.models import SyncRun
from m365admin.texts import english, message, render
from monitoring import health, notify
from monitoring.alerts import alerting
from monitoring.messages import Tick
from monitoring.models import Alert, ComponentHealth, NotificationChannel
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
UNREACHABLE = message("health.database.unreachable", error="connection refused")


def _record_database_down() -> None:
    results = [Health(c.value, HealthStatus.UP, 1.0, message("health.no_tenants"))
               for c in Component if c != Component.DATABASE]
    health.record([*results, Health(Component.DATABASE, HealthStatus.DOWN, 2.0, UNREACHABLE)])


def _failed_run(tenant, error) -> SyncRun:
    run = SyncRun.objects.create(tenant=tenant, collector=Collector.SIGNINS)
    run.finish(SyncStatus.FAILED, error=error, error_code="503")
    return run


def test_a_message_reads_in_the_active_language_and_a_plain_line_as_it_is():
    with translation.override("ja"):
        assert render(UNREACHABLE) == "データベースに接続できません: connection refused"
        assert render("", "database unreachable (old row)") == "database unreachable (old row)"
        assert render(message("tenants", n=3)) == "3 テナント"
    assert english(UNREACHABLE) == "database unreachable: connection refused"
    with pytest.raises(KeyError):
        message("health.no_such_code")


def test_the_stored_reason_is_language_neutral_and_the_english_line_is_kept():
    _record_database_down()
    row = ComponentHealth.objects.get(component=Component.DATABASE)
    assert row.reason_message == UNREACHABLE
    assert row.reason == "database unreachable: connection refused"


def _snapshot(client, viewer, path: str) -> dict:
    client.force_login(viewer)
    headers = [(b"origin", b"http://localhost"),
               (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]

    async def scenario():
        socket = WebsocketCommunicator(application, path, headers=headers)
        assert (await socket.connect())[0]
        snapshot = json.loads(await socket.receive_from())
        await socket.disconnect()
        return snapshot

    return asyncio.run(scenario())


def _database_reason(snapshot: dict) -> str:
    return next(entry["reason"] for entry in snapshot["latest"]["health"]
                if entry["component"] == "database")


def test_the_dashboard_socket_speaks_the_pages_language(client, viewer):
    _record_database_down()
    assert _database_reason(_snapshot(client, viewer, "/ws/dashboard/?lang=ja")) == (
        "データベースに接続できません: connection refused")
    english_reason = "database unreachable: connection refused"
    assert _database_reason(_snapshot(client, viewer, "/ws/dashboard/")) == english_reason
    # A language the installation does not ship falls back to its own.
    assert _database_reason(_snapshot(client, viewer, "/ws/dashboard/?lang=xx")) == english_reason


def test_the_dashboard_page_names_its_language_to_the_socket(client, viewer):
    client.force_login(viewer)
    assert 'data-socket="/ws/dashboard/?lang=ja"' in client.get("/dashboard/", **JA).text
    assert 'data-socket="/ws/dashboard/?lang=en"' in client.get("/dashboard/", **EN).text


def test_the_monitoring_api_gives_reasons_in_the_callers_language(client, viewer):
    _record_database_down()
    client.force_login(viewer)
    body = client.get("/api/v1/metrics/monitoring", **JA).json()
    database = next(h for h in body["health"] if h["component"] == "database")
    assert database["reason"] == "データベースに接続できません: connection refused"


def test_collector_errors_read_japanese_on_the_tenants_page_and_in_the_api(client, viewer):
    tenant = make_tenant(name="Contoso")
    error = GraphUnavailable(message("graph.failing", message="The service is unavailable."),
                             status=503, code="serviceNotAvailable")
    run = _failed_run(tenant, error.described())
    assert run.error == ("Graph is failing: The service is unavailable. "
                         "(HTTP 503; serviceNotAvailable)")
    client.force_login(viewer)
    page = client.get("/", **JA).text
    assert "Graph でエラーが発生しています: The service is unavailable." in page
    assert "Graph is failing" not in page
    assert "Graph is failing: The service is unavailable." in client.get("/", **EN).text
    api = client.get(f"/api/v1/sync-runs/{run.pk}/", **JA).json()
    assert api["error"].startswith("Graph でエラーが発生しています: The service is unavailable.")


def test_a_run_stored_before_keeps_its_english_line(client, viewer):
    tenant = make_tenant(name="Fabrikam")
    SyncRun.objects.create(tenant=tenant, collector=Collector.USERS, status=SyncStatus.FAILED,
                           finished=timezone.now(), error="old English failure text")
    client.force_login(viewer)
    assert "old English failure text" in client.get("/", **JA).text


def test_an_alert_page_and_its_notification_say_why_in_japanese(client, operator, settings,
                                                                  default_rules):
    settings.LANGUAGE_CODE = "ja"
    NotificationChannel.objects.create(name="ops", kind="email",
                                       config={"emails": ["ops@example.com"]})
    _record_database_down()
    now = timezone.now()
    ticks = [now, now + timedelta(seconds=61)]  # "Component down: database" fires after 60 s
    for at in ticks:
        alerting.evaluate(alerting.observe(Tick(health=health.latest())), now=at)
    alert = Alert.objects.get(rule__name="Component down: database", status="firing")
    notify.deliver_due(now=ticks[-1] + timedelta(minutes=5))
    (sent,) = mail.outbox
    assert "データベースに接続できません: connection refused" in sent.body
    client.force_login(operator)
    page = client.get(alert.get_absolute_url(), **JA).text
    assert "データベースに接続できません: connection refused" in page
    api = client.get(f"/api/v1/alerts/{alert.code}/", **EN).json()
    assert api["why"] == "database unreachable: connection refused"
