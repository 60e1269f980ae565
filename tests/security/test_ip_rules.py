"""IP allow and deny rules: how they combine, the middleware, the admin and the websocket."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from m365admin.asgi import application
from m365admin.models.audit import AuditEntry
from security import iprules
from security.choices import EventKind, IPRuleAction
from security.models import IPRule, SecurityEvent

ALLOW, DENY = IPRuleAction.ALLOW, IPRuleAction.DENY
PAGE = "/accounts/login/"  # answers 200 to anyone the rules let in
ADD = "/admin/security/iprule/add/"
MESSAGE = "Access from your network address is not allowed."


def judge(address: str, *rules: tuple[str, str]) -> bool:
    """Whether `address` is allowed by rules given as (network, action)."""
    ruleset = iprules.RuleSet([IPRule(network=network, action=action) for network, action in rules])
    return ruleset.judge(address, timezone.now()).allowed


@pytest.fixture
def make_rule(django_capture_on_commit_callbacks):
    """Saves a rule as the admin would: its change is announced when the transaction commits."""

    def make(network: str, action: str = DENY, **fields) -> IPRule:
        with django_capture_on_commit_callbacks(execute=True):
            return IPRule.objects.create(network=network, action=action, **fields)

    return make


def get(client, address: str, path: str = PAGE, **headers):
    return client.get(path, REMOTE_ADDR=address, headers=headers)


# How rules combine -----------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "rules", "allowed"), [
    ("203.0.113.9", [], True),
    ("203.0.113.9", [("203.0.113.0/24", DENY)], False),
    ("203.0.114.9", [("203.0.113.0/24", DENY)], True),
    ("2001:db8:1::5", [("2001:db8::/32", DENY)], False),
    ("2001:db9::5", [("2001:db8::/32", DENY)], True),
    # An allow rule makes the rules an allowlist, for IPv4 and IPv6 alike.
    ("198.51.100.7", [("198.51.100.0/24", ALLOW)], True),
    ("192.0.2.1", [("198.51.100.0/24", ALLOW)], False),
    ("2001:db8::1", [("198.51.100.0/24", ALLOW)], False),
    ("2001:db8::1", [("2001:db8::/48", ALLOW)], True),
    # The most specific rule decides, either way round.
    ("10.1.2.3", [("10.0.0.0/8", DENY), ("10.1.2.3/32", ALLOW)], True),
    ("10.1.2.4", [("10.0.0.0/8", DENY), ("10.1.2.3/32", ALLOW)], False),
    ("10.6.6.6", [("10.0.0.0/8", ALLOW), ("10.6.6.0/24", DENY)], False),
    ("10.7.0.1", [("10.0.0.0/8", ALLOW), ("10.6.6.0/24", DENY)], True),
    # Equally specific: deny wins.
    ("10.1.2.3", [("10.0.0.0/8", ALLOW), ("10.0.0.0/8", DENY)], False),
])
def test_the_most_specific_rule_decides_and_deny_wins_a_tie(address, rules, allowed):
    assert judge(address, *rules) is allowed


def test_an_unknown_address_is_refused_only_by_an_allowlist():
    assert iprules.RuleSet([IPRule(network="10.0.0.0/8", action=DENY)]).judge(
        None, timezone.now()).allowed
    assert not iprules.RuleSet([IPRule(network="10.0.0.0/8", action=ALLOW)]).judge(
        None, timezone.now()).allowed


def test_disabled_and_expired_rules_do_not_count():
    now = timezone.now()
    rules = [IPRule(network="192.0.2.0/24", action=DENY, enabled=False),
             IPRule(network="198.51.100.0/24", action=ALLOW, expires=now - timedelta(seconds=1))]
    assert iprules.RuleSet(rules).judge("192.0.2.1", now).allowed


# The middleware --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_denied_address_gets_a_plain_403_and_nothing_else_runs(client, make_rule):
    make_rule("203.0.113.0/24")
    response = get(client, "203.0.113.9")
    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == MESSAGE
    # No CSRF cookie from the view, no audit entry from CallerMiddleware's 403 hook.
    assert not response.cookies
    assert not AuditEntry.objects.exists()
    assert get(client, "203.0.114.9").status_code == 200


@pytest.mark.django_db
def test_the_refusal_is_in_the_browsers_language(client, make_rule):
    make_rule("203.0.113.0/24")
    response = get(client, "203.0.113.9", ACCEPT_LANGUAGE="ja")
    assert response.content.decode() == "お使いのネットワークアドレスからのアクセスは許可されていません。"


@pytest.mark.django_db
def test_an_ipv6_network_is_denied(client, make_rule):
    make_rule("2001:db8::/32")
    assert get(client, "2001:db8:1::5").status_code == 403
    assert get(client, "2001:db9::5").status_code == 200


@pytest.mark.django_db
def test_with_an_allow_rule_only_matching_addresses_get_in(client, make_rule):
    make_rule("198.51.100.0/24", ALLOW)
    assert get(client, "198.51.100.7").status_code == 200
    assert get(client, "192.0.2.1").status_code == 403
    assert get(client, "2001:db8::1").status_code == 403


@pytest.mark.django_db
def test_the_health_probes_answer_everyone(client, make_rule):
    make_rule("198.51.100.0/24", ALLOW)
    make_rule("192.0.2.0/24")
    for address in ("192.0.2.1", "203.0.113.9"):
        assert get(client, address, "/healthz").status_code == 200
        assert get(client, address, "/readyz").status_code == 200
    assert not SecurityEvent.objects.exists()


@pytest.mark.django_db
def test_a_rule_stops_applying_when_it_expires(client, make_rule):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        make_rule("203.0.113.0/24", expires=timezone.now() + timedelta(hours=1))
        assert get(client, "203.0.113.9").status_code == 403
        clock.shift(timedelta(hours=1, seconds=1))
        assert get(client, "203.0.113.9").status_code == 200


@pytest.mark.django_db
def test_a_refusal_is_recorded_once_a_minute_per_address(client, make_rule):
    make_rule("203.0.113.0/24", reason="scanner")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(10):
            assert get(client, "203.0.113.9", "/api/v1/tenants/").status_code == 403
        event = SecurityEvent.objects.get()
        assert (event.kind, event.ip_address, event.path, event.blocked) == (
            EventKind.IP_DENIED, "203.0.113.9", "/api/v1/tenants/", True)
        assert event.details == {"rule": "203.0.113.0/24"}

        get(client, "203.0.113.10")  # another address: its own event
        assert SecurityEvent.objects.count() == 2
        clock.shift(61)
        get(client, "203.0.113.9")
        assert SecurityEvent.objects.count() == 3


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_seen_within_a_second(client, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(iprules, "monotonic", lambda: clock[0])
    iprules.assume_empty()
    # Another process saves a rule and changes the shared version; this one is not told.
    IPRule.objects.create(network="203.0.113.0/24", action=DENY)
    iprules.cache.set(iprules.VERSION_KEY, "from-another-process")
    assert get(client, "203.0.113.9").status_code == 200  # its copy is less than a second old
    clock[0] += 1.0
    assert get(client, "203.0.113.9").status_code == 403


# Behind a proxy --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(client, make_rule, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_rule("192.0.2.0/24")
    # A denied client cannot claim another address, nor blame one it wants blocked.
    assert get(client, "192.0.2.1", X_FORWARDED_FOR="198.51.100.1").status_code == 403
    assert get(client, "198.51.100.1", X_FORWARDED_FOR="192.0.2.1").status_code == 200


@pytest.mark.django_db
def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(client, make_rule, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_rule("192.0.2.0/24")
    assert get(client, "10.0.0.2", X_FORWARDED_FOR="192.0.2.1").status_code == 403
    assert get(client, "10.0.0.2", X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert SecurityEvent.objects.get().ip_address == "192.0.2.1"


# The admin -------------------------------------------------------------------------------------


def _add(client, **fields):
    data = {"network": "", "action": DENY, "reason": "", "enabled": "on", **fields}
    return client.post(ADD, data, REMOTE_ADDR="198.51.100.7")


@pytest.mark.django_db
def test_the_admin_stores_the_network_normalised_and_the_author(client, admin,
                                                                django_capture_on_commit_callbacks):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert _add(client, network="203.0.113.77/24", reason="scanner").status_code == 302
    rule = IPRule.objects.get()
    assert (rule.network, rule.action, rule.author) == ("203.0.113.0/24", DENY, "alice")
    # Saved through the admin, it applies in this process at once.
    assert get(client, "203.0.113.9").status_code == 403


@pytest.mark.django_db
def test_the_admin_explains_an_invalid_network(client, admin):
    client.force_login(admin)
    response = _add(client, network="10.0.0.300/8")
    assert response.status_code == 200
    assert ("“10.0.0.300/8” is not a network in CIDR notation. Enter an address or a network "
            "such as 192.0.2.0/24 or 2001:db8::/32.") in response.content.decode()
    assert not IPRule.objects.exists()


@pytest.mark.parametrize("fields", [
    {"network": "192.0.2.0/24", "action": ALLOW},  # an allowlist without the admin's address
    {"network": "198.51.100.0/24", "action": DENY},  # a deny rule on it
    {"network": "2001:db8::/32", "action": ALLOW},
])
@pytest.mark.django_db
def test_the_admin_refuses_a_rule_that_would_lock_the_admin_out(client, admin, fields):
    client.force_login(admin)
    response = _add(client, **fields)
    assert response.status_code == 200
    assert ("Saving this rule would refuse your own address (198.51.100.7) and lock you out. "
            "Add an allow rule that covers it first.") in response.content.decode()
    assert not IPRule.objects.exists()


@pytest.mark.django_db
def test_the_admin_may_narrow_the_allowlist_while_it_still_covers_the_admin(client, admin,
                                                                            make_rule):
    make_rule("198.51.100.0/24", ALLOW)
    client.force_login(admin)
    assert _add(client, network="192.0.2.0/24", action=ALLOW).status_code == 302
    # Disabling the rule that lets the admin in, while another allow rule stays, is refused.
    mine = IPRule.objects.get(network="198.51.100.0/24")
    response = client.post(f"/admin/security/iprule/{mine.pk}/change/",
                           {"network": mine.network, "action": ALLOW, "reason": ""},
                           REMOTE_ADDR="198.51.100.7")
    assert "would refuse your own address" in response.content.decode()
    assert IPRule.objects.get(pk=mine.pk).enabled


# Websockets ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_denied_address_cannot_open_the_dashboard_socket(client, viewer, make_rule):
    make_rule("203.0.113.0/24")
    client.force_login(viewer)
    headers = [(b"origin", b"http://localhost"),
               (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]

    async def connect(address: str) -> bool:
        socket = WebsocketCommunicator(application, "/ws/dashboard/", headers=headers)
        socket.scope["client"] = (address, 50000)
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert asyncio.run(connect("203.0.113.9")) is False
    event = SecurityEvent.objects.get()
    assert (event.kind, event.ip_address, event.path) == (
        EventKind.IP_DENIED, "203.0.113.9", "/ws/dashboard/")
    assert asyncio.run(connect("203.0.114.9")) is True
