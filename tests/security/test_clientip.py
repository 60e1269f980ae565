"""The client's address: X-Forwarded-For believed only from trusted proxies, ports dropped."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from m365admin.lib.clientip import client_ip

PROXY = "10.0.0.1"


def _client_ip(remote_addr: str, forwarded_for: str | None = None) -> str | None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers))


@pytest.fixture(autouse=True)
def _behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]


@pytest.mark.parametrize("forwarded, client", [
    ("192.0.2.1", "192.0.2.1"),
    ("192.0.2.1:5555", "192.0.2.1"),
    ("2001:db8::1", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    (" [2001:db8::1]:443 ", "2001:db8::1"),
    ("[::ffff:192.0.2.1]:80", "192.0.2.1"),
    # The nearest untrusted hop is the client, whatever it claims before it.
    ("198.51.100.9:1, 192.0.2.1:5555", "192.0.2.1"),
    (f"192.0.2.1:5555, {PROXY}:8080", "192.0.2.1"),
])
def test_a_forwarded_address_with_or_without_a_port_names_the_client(forwarded, client):
    assert _client_ip(PROXY, forwarded) == client


@pytest.mark.parametrize("forwarded", [
    "unknown", "192.0.2.1:port", "192.0.2.1:123456", "[2001:db8::1", "2001:db8::1]:443",
    "[not-an-address]:443", "192.0.2.1:5555:1",
])
def test_a_malformed_entry_stops_at_the_proxy(forwarded):
    assert _client_ip(PROXY, forwarded) == PROXY


def test_an_untrusted_peers_header_is_ignored_port_or_not():
    assert _client_ip("192.0.2.50", "198.51.100.1:443") == "192.0.2.50"


def test_an_unusable_peer_address_is_none():
    assert _client_ip("not-an-address") is None
