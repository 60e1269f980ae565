"""Forwarding the security feed to a SIEM over syslog: RFC 5424 messages, octet-counted
(RFC 6587) over TCP or TLS (RFC 5425), one message per record, body JSON or CEF.

Delivery (docs/security.md, "SIEM forwarding"): records are sent in batches after the stored
position; the position moves past a batch only once the receiver's TCP stack has
acknowledged every byte of it on a connection it had not closed. So a restarted scheduler
resends nothing (the position is in the database), and a batch sent to a receiver that went
away is sent again, whole, after reconnecting. Syslog has no application-level
acknowledgement: bytes a receiver's kernel acknowledged but its process never read (a
receiver killed mid-batch) are lost, and a receiver that read part of a batch before the
connection broke receives that part twice. Each message carries the record's id to
deduplicate by.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import socket
import ssl
import struct
import termios
import time
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from m365admin import feed
from m365admin.lib.syslogconfig import SyslogConfig
from m365admin.models.feed import FeedDelivery, FeedRecord

logger = logging.getLogger(__name__)

DELIVERY = "syslog"
BATCH = 200
RETRY_MAX_SECONDS = 300.0
# RFC 5424 facility 10: security/authorization messages; severities by ours.
FACILITY = 10
SYSLOG_SEVERITY = {"critical": 2, "error": 3, "warning": 4, "info": 6}
CEF_SEVERITY = {"critical": 10, "error": 7, "warning": 5, "info": 3}
BOM = "\ufeff"


def rfc5424(record: FeedRecord, config: SyslogConfig) -> bytes:
    """One message, framed by its length in octets (RFC 6587 3.4.1)."""
    body = cef(record) if config.format == "cef" else feed.dumps(feed.line(record))
    pri = FACILITY * 8 + SYSLOG_SEVERITY.get(record.severity, 5)
    # VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG (UTF-8, with BOM)
    message = (f"<{pri}>1 {feed.iso(record.time)} {config.hostname} m365admin - {record.type} - "
               f"{BOM}{body}").encode()
    return f"{len(message)} ".encode() + message


def cef(record: FeedRecord) -> str:
    """ArcSight CEF: header fields escape \\ and |, extension values \\, = and line breaks."""
    line = feed.line(record)
    signature = f"{record.type}:{line.get('kind') or line.get('metric', '')}"
    name = line.get("title") or line.get("summary") or record.type
    extension = {
        "externalId": line["id"],
        "rt": str(int(record.time.timestamp() * 1000)),
        "cat": record.type,
        "src": line.get("ip_address"),
        "suser": line.get("username") or ", ".join(line.get("users") or []) or None,
        "requestMethod": line.get("method"),
        "request": line.get("path"),
        "outcome": line.get("status"),
        "cnt": line.get("count"),
        "cs1Label": "tenant",
        "cs1": (record.tenant or {}).get("name"),
        "cs2Label": "object",
        "cs2": record.object_id,
        "cs3Label": "record",
        "cs3": feed.dumps(line),
    }
    header = "|".join(_cef_header(str(part)) for part in (
        "m365admin", "m365admin", "1", signature, name, CEF_SEVERITY.get(record.severity, 5)))
    pairs = " ".join(f"{key}={_cef_value(str(value))}" for key, value in extension.items()
                     if value not in (None, ""))
    return f"CEF:0|{header}|{pairs}"


def _cef_header(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _cef_value(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("=", "\\=")
            .replace("\r", "\\r").replace("\n", "\\n"))


class Forwarder:
    """Sends what the position has not passed; one per scheduler process (it keeps the
    connection open between runs)."""

    def __init__(self, config: SyslogConfig) -> None:
        self.config = config
        self._socket: socket.socket | None = None

    def run(self) -> int:
        """Forward everything committed since the position; returns how many were sent."""
        delivery, _created = FeedDelivery.objects.get_or_create(name=DELIVERY)
        now = timezone.now()
        if delivery.next_attempt is not None and now < delivery.next_attempt:
            return 0  # backing off
        sent = 0
        while True:
            records = feed.page(feed.Cursor(delivery.after_txid, delivery.after_id), BATCH)
            if not records:
                break
            try:
                self._send(b"".join(rfc5424(record, self.config) for record in records))
            except OSError as exc:
                self.close()
                self._failed(delivery, exc)
                return sent
            last = feed.Cursor.of(records[-1])
            delivery.after_txid, delivery.after_id = last.txid, last.id
            delivery.delivered += len(records)
            sent += len(records)
            self._save(delivery, failures=0, failing_since=None, next_attempt=None,
                       last_error="")
            if len(records) < BATCH:
                break
        return sent

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send(self, data: bytes) -> None:
        if self._socket is not None and _closed_by_peer(self._socket, self.config.timeout):
            self.close()  # the receiver restarted or hung up while we were idle
        if self._socket is None:
            self._socket = self._connect()
        self._socket.sendall(data)
        self._wait_acknowledged(self._socket)

    def _connect(self) -> socket.socket:
        raw = socket.create_connection((self.config.host, self.config.port),
                                       timeout=self.config.timeout)
        if self.config.transport != "tls":
            return raw
        try:
            return self.config.tls_context().wrap_socket(raw, server_hostname=self.config.host)
        except OSError:
            raw.close()
            raise

    def _wait_acknowledged(self, sock: socket.socket) -> None:
        """Until the receiver's TCP stack has acknowledged every byte sent (Linux: the send
        queue, SIOCOUTQ, is empty), or the connection fails or times out."""
        deadline = time.monotonic() + self.config.timeout
        while True:
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                raise ConnectionError(error, os.strerror(error))
            unacknowledged = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ,
                                                            b"\0\0\0\0"))[0]
            if unacknowledged == 0:
                if _closed_by_peer(sock, self.config.timeout):
                    raise ConnectionError("the receiver closed the connection")
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{unacknowledged} bytes not acknowledged after "
                                   f"{self.config.timeout:g} s")
            time.sleep(0.002)

    def _failed(self, delivery: FeedDelivery, exc: OSError) -> None:
        now = timezone.now()
        failures = delivery.failures + 1
        delay = min(self.config.retry_seconds * 2 ** (failures - 1), RETRY_MAX_SECONDS)
        reason = f"{self.config.host}:{self.config.port}: {exc}"[:500]
        if delivery.failures == 0:
            logger.warning("syslog forwarding failing: %s", reason)
        self._save(delivery, failures=failures, failing_since=delivery.failing_since or now,
                   next_attempt=now + timedelta(seconds=delay), last_error=reason)

    @staticmethod
    def _save(delivery: FeedDelivery, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(delivery, name, value)
        delivery.save()


def _closed_by_peer(sock: socket.socket, timeout: float) -> bool:
    """A syslog receiver never sends data: anything readable is its FIN, a reset, or TLS
    housekeeping (TLS 1.3 session tickets, which reading consumes)."""
    try:
        if not select.select([sock], [], [], 0)[0]:
            return False
        sock.setblocking(False)
        try:
            sock.recv(4096)  # b"" (closed) or data a receiver should not send
        finally:
            sock.settimeout(timeout)
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except (OSError, ValueError):
        pass
    return True


def failing_since() -> datetime | None:
    """Since when forwarding has been failing (None when it is not)."""
    return (FeedDelivery.objects.filter(name=DELIVERY).values_list("failing_since", flat=True)
            .first())

