"""Silences from the dashboard's Alerts panel: `POST /api/v1/alerts/<code>/silence` (what the
panel's "Silence 1 h / 4 h / 24 h" sends) makes the silence the alert's page offers, audited;
and a silence made while a tick evaluates stays in force."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from m365admin.choices import AlertSource
from m365admin.models.audit import AuditEntry
from monitoring.alerts import alerting
from monitoring.choices import AlertStatus
from monitoring.models import Alert, AlertRule, Silence
from tests.factories import make_alert


@pytest.fixture
def spray(db):
    rule = AlertRule.objects.create(name="Password spray", severity="error",
                                    source=AlertSource.SECURITY, metric="password_spray",
                                    comparison="gte", threshold=1)
    return make_alert(rule=rule, labels={"ip": "203.0.113.9", "tenant": "4"})


def _silence(client, alert, **body):
    return client.post(f"/api/v1/alerts/{alert.code}/silence",
                       {"duration": "4h", "reason": "pen test this afternoon", **body},
                       content_type="application/json")


@pytest.mark.django_db
def test_an_operator_silences_from_the_panel_as_the_alert_page_would(client, operator, spray):
    like_it = make_alert(rule=spray.rule, labels=dict(spray.labels))
    other = make_alert(rule=spray.rule, labels={"ip": "198.51.100.1", "tenant": "4"})
    client.force_login(operator)
    response = _silence(client, spray)
    assert response.status_code == 201
    assert response.json()["silenced"] and response.json()["silenced_until"]
    silence = Silence.objects.get()
    assert (silence.rule, silence.matchers, silence.author, silence.reason) == (
        spray.rule, {"ip": "203.0.113.9", "tenant": "4"}, operator, "pen test this afternoon")
    assert timedelta(hours=3, minutes=59) < silence.ends - timezone.now() <= timedelta(hours=4)
    assert set(Alert.objects.filter(silenced=True).values_list("pk", flat=True)) == {
        spray.pk, like_it.pk}
    other.refresh_from_db()
    assert not other.silenced
    entry = AuditEntry.objects.get(action="silence.create")
    assert entry.actor == operator.get_username()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"reason": ""}, {"reason": "   "}, {"duration": "7d"},
                                  {"duration": "until"}])
def test_a_silence_without_a_reason_or_a_fixed_length_is_refused(client, operator, spray,
                                                                   body):
    client.force_login(operator)
    response = _silence(client, spray, **body)
    assert response.status_code == 400
    assert not Silence.objects.exists()


@pytest.mark.django_db
def test_a_resolved_alert_is_not_silenced(client, operator, spray):
    Alert.objects.filter(pk=spray.pk).update(status=AlertStatus.RESOLVED)
    client.force_login(operator)
    response = _silence(client, spray)
    assert response.status_code == 409 and "resolved" in response.json()["detail"]
    assert not Silence.objects.exists()


@pytest.mark.django_db
def test_viewers_may_not_silence_and_are_not_offered_it(client, viewer, operator, spray):
    client.force_login(viewer)
    assert _silence(client, spray).status_code == 403
    assert 'class="alert-silence"' not in client.get("/dashboard/").text
    assert not Silence.objects.exists()
    client.force_login(operator)
    page = client.get("/dashboard/").text
    for value in ("1h", "4h", "24h"):
        assert f'name="duration" value="{value}"' in page
    assert 'name="reason" required' in page


@pytest.mark.django_db
def test_until_opens_the_alert_pages_form_with_that_choice_made(client, operator, spray):
    client.force_login(operator)

    def checked(query: str) -> list[str]:
        page = client.get(spray.get_absolute_url() + query).text
        return re.findall(r'<input type="radio" name="duration" value="(\w+)"[^>]* checked', page)

    assert checked("?duration=until") == ["until"]
    assert checked("") == ["1h"]


@pytest.mark.django_db(transaction=True)
def test_a_silence_made_while_a_tick_evaluates_is_not_undone(operator, spray):
    """The evaluation waits for the alerts the silence marks; once it has them, it must see the
    silence too (it read the silences before, and unmarked the alert until the next tick)."""
    made, release = threading.Event(), threading.Event()

    def author() -> None:
        try:
            with transaction.atomic():
                Silence.create(rule=spray.rule, matchers={}, reason="maintenance",
                               ends=timezone.now() + timedelta(hours=1), author=operator)
                made.set()
                release.wait(10)
        finally:
            connection.close()

    def tick() -> None:
        try:
            alerting.evaluate([])
        finally:
            connection.close()

    threads = [threading.Thread(target=author)]
    threads[0].start()
    assert made.wait(10)
    threads.append(threading.Thread(target=tick))
    threads[1].start()
    _wait_for_a_lock_wait()
    release.set()
    for thread in threads:
        thread.join(10)
    spray.refresh_from_db()
    assert spray.silenced


def _wait_for_a_lock_wait() -> None:
    """Until another session of this database waits for a row lock (the tick, for the alert)."""
    with connections["default"].cursor() as cursor:
        for _ in range(100):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the evaluation never waited for the alert's lock")
