"""A TCP forwarder on loopback that a test can cut, to stage an outage of PostgreSQL or Redis
without touching the shared services.

    proxy = TCPProxy.in_front_of(DATABASE_URL)   # listens on 127.0.0.1:proxy.port
    url = proxy.through(DATABASE_URL)            # DATABASE_URL, through the proxy
    proxy.cut()       # existing connections reset, new ones accepted and reset at once
    proxy.stall()     # existing connections stop moving bytes, new ones accepted and left hanging
    proxy.restore()   # new connections are forwarded again
    proxy.close()

A cut is a server that went away (connection refused or reset, at once); a stall is a network
that drops packets (nothing answers, everything waits for its timeout).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import urllib.parse

OPEN, CUT, STALLED = "open", "cut", "stalled"


def _reset(sock: socket.socket) -> None:
    # SO_LINGER 0: close with a RST, as a crashed server's host answers. shutdown() first: a
    # close alone would wait for the pump thread blocked in recv() on this socket.
    for step in (
        lambda: sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)),
        lambda: sock.shutdown(socket.SHUT_RDWR),
        sock.close,
    ):
        with contextlib.suppress(OSError):
            step()


class TCPProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.state = OPEN
        self._moving = threading.Event()  # cleared while stalled
        self._moving.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, name="tcpproxy-accept", daemon=True).start()

    @classmethod
    def in_front_of(cls, url: str) -> TCPProxy:
        """A proxy to the host and port of `url` (postgres://…, redis://…)."""
        parts = urllib.parse.urlsplit(url)
        return cls(parts.hostname, parts.port)

    def through(self, url: str) -> str:
        """`url` (postgres://…, redis://…) with its host and port replaced by the proxy's."""
        parts = urllib.parse.urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@" if credentials else ""
        return parts._replace(netloc=f"{netloc}127.0.0.1:{self.port}").geturl()

    def cut(self) -> None:
        self._set(CUT)
        self._drop_all()

    def stall(self) -> None:
        self._set(STALLED)

    def restore(self) -> None:
        self._drop_all()  # a stalled connection is half-dead for its client: start afresh
        self._set(OPEN)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self._drop_all()
        self._moving.set()

    def _set(self, state: str) -> None:
        self.state = state
        if state == STALLED:
            self._moving.clear()
        else:
            self._moving.set()

    def _drop_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _reset(sock)

    def _track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._sockets.update(socks)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.state == CUT:
                _reset(client)
                continue
            self._track(client)
            if self.state == STALLED:
                continue  # held open, never answered, until restore() or close()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            self._track(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._moving.wait()  # a stall holds the bytes; a restore drops the connection
                if self.state != OPEN:
                    break
                sink.sendall(data)
        except OSError:
            pass
        _reset(source)
        _reset(sink)
