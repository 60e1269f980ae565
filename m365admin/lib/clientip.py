"""The client's IP address, trusting X-Forwarded-For only from configured proxies.

REMOTE_ADDR is the direct peer. When that peer is one of TRUSTED_PROXIES (CIDR networks),
X-Forwarded-For is walked from the right, past the trusted proxies, to the first address a
trusted proxy vouches for; anyone else's header is ignored, so a client cannot choose its IP.
Entries may carry a port (`192.0.2.1:5555`, `[2001:db8::1]:443`), as some proxies send them.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # settings import this module: keep it light
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str], variable: str) -> tuple[Network, ...]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{variable}: {value!r} is not an IP address or CIDR network "
                "(examples: 10.0.0.0/8, 2001:db8::/32, 127.0.0.1)."
            ) from None
    return tuple(networks)


@cache
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(list(values), "TRUSTED_PROXIES")


# "[v6]" or "[v6]:port", and "v4:port"; a bare IPv6 address has more than one colon.
_WITH_PORT = re.compile(r"\[(?P<bracketed>[^\]]*)\](?::\d{1,5})?|(?P<ipv4>[\d.]+):\d{1,5}")


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if match := _WITH_PORT.fullmatch(value):
        value = match["bracketed"] if match["bracketed"] is not None else match["ipv4"]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return address.ipv4_mapped or address if address.version == 6 else address


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address in network for network in trusted)


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the direct peer is one of TRUSTED_PROXIES, whose forwarding headers we believe."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    return peer is not None and is_trusted(peer, _trusted(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The request's client address as text, or None when the peer address is unusable."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    if not peer_is_trusted_proxy(request):
        return str(peer)
    trusted = _trusted(tuple(settings.TRUSTED_PROXIES))
    client = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break  # a malformed entry: stop at the last address a trusted proxy gave
        client = address
        if not is_trusted(address, trusted):
            break
    return str(client)
