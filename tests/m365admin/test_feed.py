"""The security feed: what each app publishes, paging by cursor, and no record lost or served
twice while other transactions write (PostgreSQL: ids committed out of order)."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from m365admin import feed
from m365admin.choices import AlertSource
from m365admin.models import SignIn
from m365admin.models.feed import FeedRecord
from m365admin.registry.alert_sources import Observation
from monitoring.alerts import alerting
from monitoring.models import Alert, AlertRule
from security import events
from security.choices import EventKind
from security.detections import runner
from security.models import SecurityEvent
from tests.factories import make_alert, make_rows, make_tenant

FEED = "/api/v1/feed/security"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Records are served once committed: the tests that read them commit (transaction=True).
committed = pytest.mark.django_db(transaction=True)


def _publish(n: int = 1, **fields) -> list[FeedRecord]:
    with transaction.atomic():
        records = [feed.record("security_event", i, time=timezone.now(), severity="warning",
                               **fields) for i in range(n)]
        feed.publish(records)
    return records


def _lines(response) -> list[dict]:
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    body = response.content.decode()
    assert body == "" or body.endswith("\n")  # an empty page is an empty body
    return [json.loads(line) for line in body.splitlines()]


@committed
def test_each_app_publishes_its_records_with_the_fields_an_analyst_needs(client, viewer,
                                                                          operator):
    tenant = make_tenant(name="Contoso")
    events.record(EventKind.SQL_INJECTION, username="mallory", location="query:q",
                  pattern="' OR 1=1")
    finding = SecurityEvent.objects.create(
        kind=EventKind.PASSWORD_SPRAY, severity="error", tenant=tenant, ip_address="203.0.113.9",
        users=["a@contoso.example", "b@contoso.example"], countries=["NL"],
        window_start=timezone.now(), window_end=timezone.now(), evidence=["g1", "g2"])
    finding.record_verdict("true_positive", "blocked at the firewall", "olivia")
    alert = make_alert(tenant=tenant)
    alert.acknowledge(operator, "looking")

    client.force_login(viewer)
    lines = _lines(client.get(FEED))
    assert [line["type"] for line in lines] == ["security_event", "finding", "alert"]
    attack, triaged, acknowledged = lines
    assert attack["kind"] == "sql_injection" and attack["title"] == "SQL injection attempt"
    assert attack["username"] == "mallory" and attack["details"] == {"pattern": "' OR 1=1"}
    assert attack["tenant"] is None and attack["severity"]
    assert triaged["object_id"] == str(finding.pk)
    assert triaged["tenant"] == {"id": tenant.tenant_id, "name": "Contoso"}
    assert triaged["users"] == ["a@contoso.example", "b@contoso.example"]
    assert triaged["verdict"] == "true_positive" and triaged["verdict_by"] == "olivia"
    assert acknowledged["object_id"] == str(alert.code)
    assert (acknowledged["status"], acknowledged["from_status"]) == ("acknowledged", "firing")
    assert acknowledged["actor"] == operator.username and acknowledged["note"] == "looking"
    for line in lines:
        # ISO 8601 with its offset; ids unique and stable.
        assert datetime.fromisoformat(line["time"]).utcoffset() is not None
        assert line["time"].endswith("+00:00") and line["recorded"].endswith("+00:00")
    assert len({line["id"] for line in lines}) == 3
    again = _lines(client.get(FEED))
    assert again == lines


@pytest.mark.django_db
def test_a_finding_is_published_when_found_and_again_when_extended():
    tenant = make_tenant()
    legacy = {"user_principal_name": "kim@contoso.com", "client_app_used": "IMAP",
              "ip_address": "203.0.113.7", "country": "NL"}
    make_rows(SignIn, tenant, 2, created=lambda i: T0 + timedelta(minutes=i), **legacy)
    runner.run(tenant)
    make_rows(SignIn, tenant, 1, created=T0 + timedelta(hours=1), **legacy)
    runner.run(tenant)
    (event,) = SecurityEvent.objects.filter(kind=EventKind.LEGACY_AUTH)
    found, extended = FeedRecord.objects.order_by("id")
    assert (found.type, found.object_id) == ("finding", str(event.pk)) == (
        extended.type, extended.object_id)
    assert len(found.fields["evidence"]) == 2 and len(extended.fields["evidence"]) == 3
    assert extended.fields["window_end"] == (T0 + timedelta(hours=1)).isoformat()
    assert extended.tenant == {"id": tenant.tenant_id, "name": tenant.name}


@pytest.mark.django_db
def test_alert_transitions_made_by_the_rules_are_published():
    rule = AlertRule.objects.create(name="CPU high", source=AlertSource.METRIC, metric="cpu",
                                    comparison="gt", threshold=80, for_seconds=60,
                                    severity="warning")
    for seconds, value in [(0, 95), (90, 95), (400, 10)]:
        alerting.evaluate([Observation(AlertSource.METRIC, "cpu", {}, value)],
                          now=T0 + timedelta(seconds=seconds))
    alert = Alert.objects.get(rule=rule)
    steps = [(r.fields["from_status"], r.fields["status"], r.time) for r in
             FeedRecord.objects.filter(type="alert").order_by("id")]
    assert steps == [("pending", "firing", T0 + timedelta(seconds=90)),
                     ("firing", "resolved", T0 + timedelta(seconds=400))]
    assert set(FeedRecord.objects.values_list("object_id", flat=True)) == {str(alert.code)}


@committed
def test_pages_follow_the_cursor_to_the_end(client, viewer):
    records = _publish(7)
    client.force_login(viewer)
    seen, after = [], ""
    for _page in range(4):
        response = client.get(FEED, {"after": after, "limit": 3})
        page = _lines(response)
        if page:
            assert response["Feed-Next-Cursor"] == page[-1]["cursor"]
        after = response["Feed-Next-Cursor"]
        seen += page
    assert [line["id"] for line in seen] == [str(r.pk) for r in records]
    # Up to date: an empty page keeps the cursor where it was.
    response = client.get(FEED, {"after": after})
    assert _lines(response) == [] and response["Feed-Next-Cursor"] == after
    newer = _publish(1)
    assert [line["id"] for line in _lines(client.get(FEED, {"after": after}))] == [
        str(newer[0].pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("after", ["nope", "12", "1-2-3", "-1-5", "99999999999999999999-1",
                                   "1-" + "9" * 19])
def test_a_bad_cursor_is_a_400_that_says_what_to_send(client, viewer, after):
    client.force_login(viewer)
    response = client.get(FEED, {"after": after}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "is not a cursor of this feed" in response.json()["detail"]


@committed
def test_format_is_not_a_parameter(client, viewer):
    _publish(1)
    client.force_login(viewer)
    assert len(_lines(client.get(FEED, {"format": "AAA"}))) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "1001", "ten", "-5"])
def test_a_bad_limit_is_a_400(client, viewer, limit):
    client.force_login(viewer)
    response = client.get(FEED, {"limit": limit})
    assert response.status_code == 400
    assert _lines(response) == [{"detail": f"limit must be a whole number from 1 to 1000, "
                                           f"not {limit!r}."}]


@committed
def test_integrations_read_it_with_a_token_and_others_are_refused(client, viewer, outsider):
    _publish(1)
    token = client.post("/api/v1/auth/token", {"username": viewer.username,
                                               "password": "pw-victor-123456"},
                        content_type="application/json").json()["access"]
    client.logout()
    assert client.get(FEED).status_code == 401
    assert len(_lines(client.get(FEED, HTTP_AUTHORIZATION=f"Bearer {token}"))) == 1
    client.force_login(outsider)  # signed in, no role
    assert client.get(FEED).status_code == 403


@committed
def test_the_feed_is_compressed_for_clients_that_ask(client, viewer):
    _publish(30, details={"path": "/x" * 20})
    client.force_login(viewer)
    response = client.get(FEED, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


# Concurrent writers (PostgreSQL) ---------------------------------------------------------------


def _in_thread(work):
    def run():
        try:
            work()
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_record_committed_after_a_later_one_is_not_passed_by_the_cursor():
    """Transaction A takes id n and stays open; B takes n+1 and commits. A reader must not
    hand out n+1 (its cursor would then be past n, which A commits afterwards)."""
    a_wrote, _b_done, a_may_commit = threading.Event(), threading.Event(), threading.Event()
    ids = {}

    def slow_writer():
        with transaction.atomic():
            ids["a"] = _publish(1)[0].pk
            a_wrote.set()
            a_may_commit.wait(10)

    a = _in_thread(slow_writer)
    assert a_wrote.wait(10)
    ids["b"] = _publish(1)[0].pk
    assert ids["b"] > ids["a"]
    assert feed.page(feed.Cursor(), 10) == []  # B is held back until A is done
    a_may_commit.set()
    a.join(10)
    assert [r.pk for r in feed.page(feed.Cursor(), 10)] == [ids["a"], ids["b"]]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_a_paging_reader_lose_and_repeat_nothing():
    writers, per_writer = 4, 40
    stop = threading.Event()
    read: list[int] = []

    def write(seed: int):
        rng = random.Random(seed)
        left = per_writer
        while left:
            n = min(left, rng.randint(1, 4))
            with transaction.atomic():
                for _ in range(n):
                    _publish(1)
                    time.sleep(rng.random() / 200)  # ids taken, not yet committed
            left -= n

    def reader():
        cursor = feed.Cursor()
        while True:
            done = stop.is_set()  # read once more after the writers finished
            for record in feed.page(cursor, 7):
                read.append(record.pk)
                cursor = feed.Cursor.of(record)
            if done and not feed.page(cursor, 1):
                return
            close_old_connections()

    threads = [_in_thread(lambda seed=seed: write(seed)) for seed in range(writers)]
    reading = _in_thread(reader)
    for thread in threads:
        thread.join(60)
    stop.set()
    reading.join(60)
    assert not reading.is_alive()
    written = list(FeedRecord.objects.order_by("txid", "id").values_list("pk", flat=True))
    assert len(written) == writers * per_writer
    assert len(read) == len(set(read)), "a record was served twice"
    assert read == written, "a record was lost or served out of order"
    connections.close_all()
