"""SIEM forwarding: RFC 5424 messages in RFC 6587 frames over TCP and TLS to a receiver the
test runs, delivered once each, in order, across receiver and forwarder restarts."""

from __future__ import annotations

import datetime
import json
from dataclasses import replace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from m365admin import feed, jobs, syslog
from m365admin.lib import syslogconfig
from m365admin.models.feed import FeedDelivery, FeedRecord
from monitoring.alert_sources import channels
from tests.syslog_receiver import SyslogReceiver, parse, server_tls

committed = pytest.mark.django_db(transaction=True)


def _publish(n: int, **fields) -> list[FeedRecord]:
    with transaction.atomic():
        records = [feed.record("security_event", i, time=timezone.now(), severity="error",
                               kind="sql_injection", title="SQL injection attempt", **fields)
                   for i in range(n)]
        feed.publish(records)
    return records


def _config(receiver: SyslogReceiver, **fields) -> syslogconfig.SyslogConfig:
    return syslogconfig.SyslogConfig(**{
        "host": "127.0.0.1", "port": receiver.port, "transport": "tcp", "format": "json",
        "hostname": "m365admin-test", "timeout": 5.0, "retry_seconds": 0.0, **fields})


def _ids(receiver: SyslogReceiver) -> list[str]:
    assert receiver.errors == []
    return [json.loads(message.msg)["id"] for message in receiver.messages]


@pytest.fixture
def receiver():
    running = SyslogReceiver().start()
    yield running
    if running._listener is not None:
        running.stop()


# Messages ------------------------------------------------------------------------------------


def _record(**fields) -> FeedRecord:
    record = feed.record("finding", 42, time=datetime.datetime(2026, 12, 6, 9, 30, 1, 250000,
                                                              tzinfo=datetime.UTC),
                         severity="critical", kind="password_spray", **fields)
    record.pk, record.txid = 7, 123
    return record


def test_a_message_is_rfc_5424_in_an_octet_counted_frame():
    config = syslogconfig.SyslogConfig(host="siem.example", port=6514, transport="tls",
                                       format="json", hostname="web-1")
    framed = syslog.rfc5424(_record(title="Password spray — 東京"), config)
    length, _space, message = framed.partition(b" ")
    assert int(length) == len(message)  # octets, not characters
    parsed = parse(message)
    assert parsed.pri == 10 * 8 + 2  # security/authorization, critical
    assert parsed.timestamp == datetime.datetime(2026, 12, 6, 9, 30, 1, 250000,
                                                 tzinfo=datetime.UTC)
    assert (parsed.hostname, parsed.app, parsed.procid, parsed.msgid) == (
        "web-1", "m365admin", "-", "finding")
    body = json.loads(parsed.msg)
    assert body["id"] == "7" and body["cursor"] == "123-7" and body["title"].endswith("東京")


def test_cef_escapes_pipes_equals_and_backslashes():
    record = _record(title=r"a|b\c=d", ip_address="203.0.113.9",
                     username="x=y|z\\w", path="/q?a=1\nb")
    text = syslog.cef(record)
    # Header: \ and | escaped, = left alone.
    assert text.startswith(r"CEF:0|m365admin|m365admin|1|finding:password_spray|a\|b\\c=d|10|")
    # Extension: \ and = escaped (| is not special there), line breaks as \n.
    assert r" suser=x\=y|z\\w " in text
    assert r" request=/q?a\=1\nb " in text
    assert " src=203.0.113.9 " in text and "|externalId=7 " in text
    assert "\n" not in text


# Forwarding ----------------------------------------------------------------------------------


@committed
def test_records_arrive_once_each_in_order_across_a_receiver_restart(receiver):
    forwarder = syslog.Forwarder(_config(receiver))
    first = _publish(5)
    assert forwarder.run() == 5
    receiver.wait_for(5)
    receiver.stop()
    later = _publish(3)
    assert forwarder.run() == 0  # the receiver is down: nothing counted as delivered
    delivery = FeedDelivery.objects.get(name=syslog.DELIVERY)
    assert delivery.failures == 1 and delivery.failing_since is not None
    assert "127.0.0.1" in delivery.last_error and delivery.delivered == 5
    receiver.start()  # same port
    assert forwarder.run() == 3
    receiver.wait_for(8)
    assert _ids(receiver) == [str(r.pk) for r in first + later]
    delivery.refresh_from_db()
    assert (delivery.failures, delivery.failing_since, delivery.last_error) == (0, None, "")


@committed
def test_a_restarted_forwarder_resends_nothing(receiver):
    records = _publish(4)
    assert syslog.Forwarder(_config(receiver)).run() == 4
    # A new scheduler process: a new forwarder, the position from the database.
    assert syslog.Forwarder(_config(receiver)).run() == 0
    records += _publish(2)
    assert syslog.Forwarder(_config(receiver)).run() == 2
    receiver.wait_for(6)
    assert _ids(receiver) == [str(r.pk) for r in records]


@committed
def test_the_scheduler_job_forwards_only_when_configured(receiver, settings):
    records = _publish(2)
    settings.SYSLOG = None
    jobs.forward_to_syslog()
    assert not FeedDelivery.objects.exists()
    settings.SYSLOG = _config(receiver, format="cef")
    jobs.forward_to_syslog()
    receiver.wait_for(2)
    assert receiver.errors == []
    assert [m.msg.split("externalId=")[1].split(" ")[0] for m in receiver.messages] == [
        str(r.pk) for r in records]


@committed
def test_failures_back_off_and_raise_the_alert_condition_after_a_while(receiver, settings):
    receiver.stop()
    config = _config(receiver, retry_seconds=30.0, failing_minutes=10)
    settings.SYSLOG = config
    _publish(1)
    forwarder = syslog.Forwarder(config)
    forwarder.run()
    delivery = FeedDelivery.objects.get(name=syslog.DELIVERY)
    first_wait = (delivery.next_attempt - delivery.updated).total_seconds()
    assert 29 < first_wait <= 30
    assert forwarder.run() == 0  # backing off: not even tried
    assert FeedDelivery.objects.get(pk=delivery.pk).failures == 1
    FeedDelivery.objects.filter(pk=delivery.pk).update(next_attempt=timezone.now())
    forwarder.run()
    delivery.refresh_from_db()
    assert delivery.failures == 2
    assert 59 < (delivery.next_attempt - delivery.updated).total_seconds() <= 60

    def condition() -> float:
        return next(o.value for o in channels() if o.labels == {"channel": "syslog"})

    assert condition() == 0.0  # failing, but not for long
    FeedDelivery.objects.filter(pk=delivery.pk).update(
        failing_since=timezone.now() - datetime.timedelta(minutes=11))
    assert condition() == 1.0


# TLS -----------------------------------------------------------------------------------------


@pytest.fixture
def tls_receiver(tmp_path):
    """A receiver with a certificate for 127.0.0.1 from a test CA; (receiver, CA file)."""
    context, ca_file = server_tls(tmp_path)
    running = SyslogReceiver(tls=context).start()
    yield running, ca_file
    if running._listener is not None:
        running.stop()


@committed
def test_over_tls_records_arrive_once_each_across_a_receiver_restart(tls_receiver):
    receiver, ca_file = tls_receiver
    forwarder = syslog.Forwarder(_config(receiver, transport="tls", ca_file=ca_file))
    records = _publish(3)
    assert forwarder.run() == 3, FeedDelivery.objects.first().last_error
    receiver.wait_for(3)
    receiver.stop()
    records += _publish(2)
    assert forwarder.run() == 0
    receiver.start()
    assert forwarder.run() == 2
    receiver.wait_for(5)
    assert _ids(receiver) == [str(r.pk) for r in records]


@committed
def test_tls_refuses_a_receiver_the_ca_file_does_not_vouch_for(tls_receiver):
    receiver, _ca_file = tls_receiver
    config = _config(receiver, transport="tls", ca_file=None)  # the system's store only
    _publish(1)
    assert syslog.Forwarder(config).run() == 0
    delivery = FeedDelivery.objects.get(name=syslog.DELIVERY)
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error and delivery.delivered == 0
    receiver.wait_for(1, timeout=0.5)
    assert receiver.messages == []
    # The configured CA: delivered.
    assert syslog.Forwarder(replace(config, ca_file=_ca_file)).run() == 1


# Configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "message"), [
    ({"SYSLOG_HOST": "siem example"}, "SYSLOG_HOST must be a host name or an IP address"),
    ({"SYSLOG_HOST": "-siem.example"}, "SYSLOG_HOST must be a host name or an IP address"),
    ({"SYSLOG_PORT": "70000"}, "SYSLOG_PORT must be at most 65535, not 70000."),
    ({"SYSLOG_PORT": "0"}, "SYSLOG_PORT must be at least 1"),
    ({"SYSLOG_PORT": "syslog"}, "SYSLOG_PORT must be a whole number"),
    ({"SYSLOG_FORMAT": "xml"}, "SYSLOG_FORMAT must be one of json, cef, not 'xml'."),
    ({"SYSLOG_TRANSPORT": "udp"}, "SYSLOG_TRANSPORT must be one of tls, tcp, not 'udp'."),
    ({"SYSLOG_CA_FILE": "/nonexistent/ca.pem"}, "SYSLOG_CA_FILE: cannot load /nonexistent"),
    ({"SYSLOG_TRANSPORT": "tcp", "SYSLOG_CA_FILE": "/etc/hosts"},
     "SYSLOG_CA_FILE is for SYSLOG_TRANSPORT=tls only."),
    ({"SYSLOG_HOSTNAME": "web 1"}, "SYSLOG_HOSTNAME must be 1 to 255 printable ASCII"),
])
def test_bad_configuration_stops_start_up_naming_the_variable(monkeypatch, env, message):
    monkeypatch.setenv("SYSLOG_HOST", "siem.example")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message.replace("?", r"\?")):
        syslogconfig.from_env()


def test_configuration_defaults_and_off(monkeypatch):
    monkeypatch.delenv("SYSLOG_HOST", raising=False)
    assert syslogconfig.from_env() is None
    monkeypatch.setenv("SYSLOG_HOST", "2001:db8::5")
    config = syslogconfig.from_env()
    assert (config.transport, config.port, config.format) == ("tls", 6514, "json")
    monkeypatch.setenv("SYSLOG_TRANSPORT", "tcp")
    assert syslogconfig.from_env().port == 601
