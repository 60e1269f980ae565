"""A syslog receiver for tests: octet-counted RFC 5424 over TCP or TLS, parsed strictly.

Every frame must be `MSG-LEN SP SYSLOG-MSG` (RFC 6587 3.4.1) and every message valid RFC 5424
with a nil structured data and a UTF-8 body behind a BOM; anything else is kept in `errors`.
`stop()` closes the listener and every connection (a receiver going down); `start()` listens
again on the same port.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HEADER = re.compile(
    rb"<(?P<pri>0|[1-9]\d{0,2})>1 "
    rb"(?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})) "
    rb"(?P<hostname>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) "
    rb"(?P<msgid>[!-~]{1,32}) - \xef\xbb\xbf(?P<msg>.*)\Z", re.DOTALL)


@dataclass
class Message:
    pri: int
    timestamp: datetime.datetime
    hostname: str
    app: str
    procid: str
    msgid: str
    msg: str


def parse(frame: bytes) -> Message:
    match = HEADER.match(frame)
    if match is None:
        raise ValueError(f"not an RFC 5424 message with nil SD and a BOM: {frame[:120]!r}")
    if int(match["pri"]) > 191:
        raise ValueError(f"PRI out of range: {match['pri']!r}")
    return Message(int(match["pri"]), datetime.datetime.fromisoformat(match["timestamp"].decode()),
                   match["hostname"].decode(), match["app"].decode(), match["procid"].decode(),
                   match["msgid"].decode(), match["msg"].decode("utf-8"))


class SyslogReceiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.port = 0
        self.messages: list[Message] = []
        self.errors: list[str] = []
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> SyslogReceiver:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)
        return self

    def stop(self) -> None:
        """Down: no more connections, and the open ones closed (after reading what came)."""
        listener, self._listener = self._listener, None
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close() alone does not
        listener.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        self._threads = []

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.messages

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _address = listener.accept()
            except OSError:
                return  # stopped
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError) as exc:
                    self.errors.append(f"TLS handshake: {exc}")
                    conn.close()
                    continue
            with self._lock:
                self._connections.append(conn)
            self._spawn(self._read, conn)

    def _read(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    if buffer:
                        self.errors.append(f"connection closed inside a frame: {buffer[:60]!r}")
                    return
                buffer += chunk
                buffer = self._frames(buffer)

    def _frames(self, buffer: bytes) -> bytes:
        while buffer:
            match = re.match(rb"([1-9]\d{0,8}) ", buffer)
            if match is None:
                if len(buffer) > 10 or not re.fullmatch(rb"[1-9]\d{0,8}", buffer):
                    self.errors.append(f"bad frame length: {buffer[:30]!r}")
                    return b""
                return buffer  # the length's digits are still arriving
            end = match.end() + int(match[1])
            if len(buffer) < end:
                return buffer
            try:
                self.messages.append(parse(buffer[match.end():end]))
            except ValueError as exc:
                self.errors.append(str(exc))
            buffer = buffer[end:]
        return buffer


def server_tls(folder: Path) -> tuple[ssl.SSLContext, str]:
    """A test CA and a server certificate from it for 127.0.0.1: (the server's context, the
    CA's PEM file for the client to verify with)."""
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    ca = _certificate("m365admin test CA", ca_key, ca_key)
    server = _certificate("127.0.0.1", server_key, ca_key, issuer=ca)
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return context, str(folder / "ca.pem")


def _certificate(subject: str, key, signing_key, *, issuer: x509.Certificate | None = None):
    """A CA certificate (no issuer: self-signed), or one for the address `subject`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None),
                              critical=True))
    if issuer is None:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True).add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(subject))]), critical=False).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False)
    return builder.sign(signing_key, hashes.SHA256())
