"""What the kinds that POST to a URL share: the URL's safety check (SSRF), its config (URL and
timeout), the admin's fields for them, and the one place that speaks HTTP to receivers."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
import requests
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from m365admin.registry.notifiers import ConfigError, Notifier, TransportError
from monitoring.models import Alert, Delivery

TIMEOUT_MIN, TIMEOUT_MAX, TIMEOUT_DEFAULT = 0.5, 60.0, 10.0


class UnsafeTarget(ValueError):
    """A webhook URL that resolves to an address we refuse to call (SSRF)."""


def check_webhook_target(url: str) -> None:
    """Refuse non-HTTP(S) URLs and, unless WEBHOOK_ALLOW_PRIVATE, hosts resolving to loopback,
    link-local (cloud metadata lives there), private or otherwise reserved addresses.

    Checked when the channel is saved and again before each delivery (DNS can change)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(_("Use an http:// or https:// URL."))
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise UnsafeTarget(_("The host does not resolve (%(error)s).") % {"error": exc}) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise UnsafeTarget(_(
                "%(host)s resolves to %(address)s, a loopback, link-local or private address; "
                "set WEBHOOK_ALLOW_PRIVATE=True to allow internal targets."
            ) % {"host": parts.hostname, "address": address})


class HttpConfig(msgspec.Struct, forbid_unknown_fields=True):
    url: str
    timeout: Annotated[float, msgspec.Meta(ge=TIMEOUT_MIN, le=TIMEOUT_MAX)] = TIMEOUT_DEFAULT


class HttpNotifier(Notifier):
    """A kind that POSTs a JSON body to the channel's URL."""

    config_class = HttpConfig
    form_fields = {
        "url": forms.URLField(label=_("webhook URL"), max_length=1000, required=False),
        "timeout": forms.FloatField(label=_("timeout (seconds)"), required=False,
                                    initial=TIMEOUT_DEFAULT, min_value=TIMEOUT_MIN,
                                    max_value=TIMEOUT_MAX),
    }
    config: HttpConfig

    @classmethod
    def check(cls, config: HttpConfig) -> None:
        try:
            check_webhook_target(config.url)
        except UnsafeTarget as exc:
            raise ConfigError({"url": str(exc)}) from None

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> int:
        """POST a JSON body to the channel's URL: the one place that speaks HTTP to receivers."""
        url, timeout = self.config.url, self.config.timeout
        try:
            check_webhook_target(url)  # again: the name may resolve elsewhere by now
        except UnsafeTarget as exc:
            raise TransportError(str(exc), permanent=True) from None
        headers = {"Content-Type": "application/json", "User-Agent": "m365admin",
                   **(headers or {})}
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout,
                                     allow_redirects=False)
        except requests.Timeout:
            raise TransportError(f"no answer within {timeout:g} s") from None
        except requests.RequestException as exc:
            raise TransportError(f"cannot reach the webhook: {type(exc).__name__}") from None
        if response.status_code >= 300:
            # 4xx but 408/429 will not get better by retrying: the receiver refuses this request.
            permanent = (400 <= response.status_code < 500
                         and response.status_code not in (408, 429))
            raise TransportError(f"HTTP {response.status_code}", permanent, response.status_code)
        return response.status_code


class ChatNotifier(HttpNotifier):
    """A chat tool's incoming webhook: `message` (monitoring.chatcards) builds what it posts."""

    message: Callable[[Delivery, list[Alert]], dict[str, Any]]

    def send(self, delivery: Delivery, alerts: list[Alert]) -> int:
        return self.post(msgspec.json.encode(self.message(delivery, alerts)))
