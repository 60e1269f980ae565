"""SIEM forwarding's settings (SYSLOG_*), checked at start-up: a host that is not a host name
or an address, a port out of range, an unknown transport or format, or a CA file that does
not load stop the process with one line naming the variable."""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from m365admin.lib.env import env_choice, env_float, env_int, env_str

TRANSPORTS = ("tls", "tcp")
FORMATS = ("json", "cef")
# RFC 1123 host name labels; the whole name at most 253 characters.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class SyslogConfig:
    host: str
    port: int
    transport: str  # "tls" or "tcp"
    format: str  # "json" or "cef"
    ca_file: str | None = None  # TLS: trust this bundle instead of the system's
    hostname: str = socket.gethostname()[:255] or "-"  # RFC 5424 HOSTNAME of our messages
    timeout: float = 10.0  # connecting, and waiting for the receiver to acknowledge a batch
    retry_seconds: float = 5.0  # first retry after a failure, doubling up to RETRY_MAX
    failing_minutes: int = 10  # failing this long raises the alert
    interval: float = 5.0  # how often the scheduler looks for new records

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name checked, against `ca_file` or the system's store."""
        return ssl.create_default_context(cafile=self.ca_file)


def valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    name = host.removesuffix(".")
    return 0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


def from_env() -> SyslogConfig | None:
    """The forwarding configuration, or None when SYSLOG_HOST is unset (forwarding off)."""
    host = env_str("SYSLOG_HOST")
    if host is None:
        return None
    if not valid_host(host):
        raise ImproperlyConfigured(
            f"SYSLOG_HOST must be a host name or an IP address, not {host!r}.")
    transport = env_choice("SYSLOG_TRANSPORT", "tls", TRANSPORTS)
    # RFC 5425 registers 6514 for syslog over TLS, RFC 6587 601 for plain TCP.
    port = env_int("SYSLOG_PORT", 6514 if transport == "tls" else 601, minimum=1, maximum=65535)
    ca_file = env_str("SYSLOG_CA_FILE")
    if ca_file and transport != "tls":
        raise ImproperlyConfigured("SYSLOG_CA_FILE is for SYSLOG_TRANSPORT=tls only.")
    config = SyslogConfig(
        host=host, port=port, transport=transport,
        format=env_choice("SYSLOG_FORMAT", "json", FORMATS), ca_file=ca_file,
        hostname=env_str("SYSLOG_HOSTNAME", SyslogConfig.hostname),
        timeout=env_float("SYSLOG_TIMEOUT", 10.0, minimum=0.1),
        retry_seconds=env_float("SYSLOG_RETRY_SECONDS", 5.0, minimum=0.0),
        failing_minutes=env_int("SYSLOG_FAILING_MINUTES", 10, minimum=1),
    )
    if not re.fullmatch(r"[!-~]{1,255}", config.hostname):
        raise ImproperlyConfigured(
            f"SYSLOG_HOSTNAME must be 1 to 255 printable ASCII characters without spaces, "
            f"not {config.hostname!r}.")
    if transport == "tls":
        try:
            config.tls_context()
        except (OSError, ssl.SSLError) as exc:
            raise ImproperlyConfigured(
                f"SYSLOG_CA_FILE: cannot load {ca_file} as PEM certificates ({exc}).") from None
    return config
