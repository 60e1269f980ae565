"""GraphSimulator: one HTTPS server on loopback serving the identity platform and Graph."""

from __future__ import annotations

import contextlib
import copy
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .api import dispatch_graph, download_report
from .api.users import fresh_delta_location
from .certs import ensure_certificate
from .clock import from_us, http_date, to_us
from .faults import Fault, Faults
from .identity import TokenRegistry, aad_error, handle_identity, identity_tenant_key
from .paging import TokenStore
from .tenant import SimTenant
from .wire import SimRequest, SimResponse, error_body

_LOGGED_HEADERS = ("authorization", "consistencylevel", "prefer", "client-request-id",
                   "if-none-match", "content-type", "user-agent")
_PRE = ("status", "not_json", "gone", "delay")
_POST = ("mutate", "truncate")


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str                    # percent-decoded path + query
    headers: dict[str, str]      # selected request headers; Authorization redacted
    status: int
    raw_path: str                # as received (e.g. %23EXT%23 kept encoded)
    tenant_id: str | None
    at: datetime                 # the simulated clock when served


class RequestLog:
    """Thread-safe, bounded log of served requests (`sim.requests`)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=max_entries)
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def __iter__(self) -> Any:
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: int) -> RequestRecord:
        return self.snapshot()[index]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


class GraphSimulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 state_dir: Path | str = Path("var/simulator")) -> None:
        self.host = host
        self.state_dir = Path(state_dir)
        cert, key = ensure_certificate(self.state_dir, host)
        self.ca_bundle = str(cert)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._requested_port = port
        self._server: _Server | None = None
        self.faults = Faults()
        self.requests = RequestLog()
        self.tokens = TokenRegistry()
        self.pages = TokenStore(50_000)
        self.delta_links = TokenStore(100_000)
        self.downloads = TokenStore(10_000)
        # Knobs tests and demos may change.
        self.delta_page_size = 100
        self.delta_replays = 0            # re-send this many objects at the end of each round
        self.delta_token_ttl_days = 7     # older deltaLinks answer syncStateNotFound
        self.page_token_ttl_s = 3600      # older nextLinks answer 400 (expired page token)
        self.download_ttl_s = 300         # report download URLs live this long
        self.retention_days = 30          # sign-in log retention (P1/P2)
        self._now: datetime | None = None
        self._tenants: dict[str, SimTenant] = {}
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._serving = False

    # Address

    def _bound(self) -> _Server:
        """The listening server, bound on first use (OSError when the port is taken)."""
        if self._server is None:
            self._server = _Server((self.host, self._requested_port), _Handler, self)
        return self._server

    @property
    def port(self) -> int:
        return int(self._bound().server_address[1])

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    # Clock

    @property
    def now(self) -> datetime:
        """The simulated clock: real UTC now unless set (then frozen until set again)."""
        return self._now or datetime.now(UTC)

    @now.setter
    def now(self, value: datetime | None) -> None:
        self._now = value if value is None or value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def now_us(self) -> int:
        return to_us(self.now)

    # Tenants and tokens

    def add_tenant(self, tenant: SimTenant) -> SimTenant:
        self._tenants[tenant.tenant_id] = tenant
        return tenant

    def tenant(self, tenant_id: str) -> SimTenant:
        found = self._find_tenant(tenant_id)
        if found is None:
            raise KeyError(tenant_id)
        return found

    def _find_tenant(self, key: str) -> SimTenant | None:
        key = key.lower()
        return self._tenants.get(key) or next(
            (t for t in self._tenants.values() if t.domain == key), None)

    def authority_url(self, tenant_id: str) -> str:
        return f"{self.base_url}/{tenant_id}"

    def issue_token(self, tenant_id: str, lifetime: float = 3599) -> str:
        """An access token without the HTTP round trip (tests, tooling)."""
        return self.tokens.issue(self.tenant(tenant_id), lifetime)

    def expire_tokens(self, tenant_id: str | None = None) -> None:
        self.tokens.expire_all(tenant_id)

    # Lifecycle

    def start(self) -> GraphSimulator:
        """Serve on a background daemon thread; raises OSError if the port is taken."""
        server = self._bound()
        if self._thread is None:
            self._stopped.clear()
            self._serving = True
            self._thread = threading.Thread(target=server.serve_forever, args=(0.1,),
                                            name="graph-simulator", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until stop() is called from another one."""
        self._stopped.clear()
        self._serving = True
        self._bound().serve_forever(0.1)

    def wait(self) -> None:
        """Block until stop() is called; Ctrl-C stops the simulator and returns."""
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            self.stop()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            if self._serving:  # shutdown() waits for a serve_forever loop to exit
                server.shutdown()
            self._serving = False
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._stopped.set()

    def __enter__(self) -> GraphSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Request handling

    def handle(self, request: SimRequest) -> tuple[SimResponse, str | None]:
        """Serve one request; returns the response and the tenant it was attributed to."""
        path = request.path
        first = path.split("/", 2)[1].lower() if path.count("/") else ""
        tenant: SimTenant | None = None
        if first in ("v1.0", "beta"):
            tenant = self._bearer_tenant(request)
        elif first == "data":
            tenant = None
        else:
            key = identity_tenant_key(path)
            tenant = self._find_tenant(key) if key else None
        tenant_id = tenant.tenant_id if tenant else None
        target = request.decoded_target
        fired = self.faults.take(request.method, target, tenant_id, _PRE)
        for fault in fired:
            if fault.kind == "delay":
                time.sleep(fault.seconds)
        short = next((f for f in fired if f.kind != "delay"), None)
        if short is not None:
            response = self._fault_response(short, request, first, tenant)
        elif first in ("v1.0", "beta"):
            response = dispatch_graph(self, request, first, path[len(first) + 1:] or "/")
        elif first == "data":
            response = download_report(self, request)
        else:
            response = handle_identity(request, tenant, self.base_url, self.tokens)
        for fault in self.faults.take(request.method, target, tenant_id, _POST):
            response = self._post_fault(fault, response)
        return response, tenant_id

    def _bearer_tenant(self, request: SimRequest) -> SimTenant | None:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        found, _ = self.tokens.lookup(token.strip())
        return self._tenants.get(found.tenant_id) if found else None

    def graph_error(self, request: SimRequest, status: int, code: str, message: str,
                    inner: dict[str, Any] | None = None,
                    headers: dict[str, str] | None = None) -> SimResponse:
        date = self.now.strftime("%Y-%m-%dT%H:%M:%S")
        return SimResponse(status, json=error_body(code, message, request, date, inner),
                           headers=dict(headers or {}))

    def _fault_response(self, fault: Fault, request: SimRequest, first: str,
                        tenant: SimTenant | None) -> SimResponse:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if fault.kind == "not_json":
            status = fault.status or 502
            page = (f"<html><head><title>{status} Bad Gateway</title></head><body><h1>"
                    f"{status} Bad Gateway</h1><p>The proxy could not reach the service.</p>"
                    "</body></html>")
            return SimResponse(status, body=page.encode(), content_type="text/html",
                               headers=headers)
        if fault.kind == "gone":
            headers["Location"] = fresh_delta_location(self, request, tenant)
            return self.graph_error(request, 410, fault.code or "resyncRequired",
                                    fault.message or "Resync required. Replace any local cached "
                                    "data with a full synchronization.", headers=headers)
        status = fault.status or 500
        if first not in ("v1.0", "beta", "data"):
            error = {429: "temporarily_unavailable", 503: "temporarily_unavailable"}
            return _with_headers(aad_error(status, fault.code or error.get(status, "server_error"),
                                           50196 if status == 429 else 90033,
                                           fault.message or "The service is temporarily "
                                           "unavailable.", request), headers)
        if status == 401:
            _scheme, _, token = (request.header("authorization") or "").partition(" ")
            self.tokens.revoke(token.strip())
            headers["WWW-Authenticate"] = ('Bearer realm="", authorization_uri='
                                           '"https://login.microsoftonline.com/common/oauth2/authorize"')
        code, message, inner = _FAULT_ERRORS.get(status, ("generalException", "An error occurred.", None))
        return self.graph_error(request, status, fault.code or code, fault.message or message,
                                inner, headers)

    @staticmethod
    def _post_fault(fault: Fault, response: SimResponse) -> SimResponse:
        if fault.kind == "mutate" and response.json is not None and fault.func is not None:
            # Sign-in items share cached sub-objects; the callable gets a private copy.
            body = copy.deepcopy(response.json)
            result = fault.func(body)
            response.json = body if result is None else result
        elif fault.kind == "truncate":
            payload = response.payload()
            response.body = payload[: len(payload) // 2]
        return response


_FAULT_ERRORS: dict[int, tuple[str, str, dict[str, Any] | None]] = {
    429: ("TooManyRequests", "Please retry again later.",
          {"code": "429", "message": "Please retry after", "status": "429"}),
    503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later.", None),
    504: ("GatewayTimeout", "The gateway did not receive a timely response.", None),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.", None),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid.", None),
    500: ("generalException", "General exception while processing.", None),
}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _with_headers(response: SimResponse, headers: dict[str, str]) -> SimResponse:
    response.headers.update(headers)
    return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type, sim: GraphSimulator) -> None:
        self.sim = sim
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        # The TLS handshake happens in the handler thread, so a slow client can't stall accept().
        sock, address = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        wrapped = self.sim._context.wrap_socket(sock, server_side=True,
                                                do_handshake_on_connect=False)
        with self._conn_lock:
            self._connections.add(wrapped)
        return wrapped, address

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping keep-alive connections or failing TLS are routine here.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            raise

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    # http.server names its handlers do_<METHOD>.
    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def _serve(self) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = SimRequest(self.command, self.path, headers, body)
        try:
            response, tenant_id = sim.handle(request)
        except Exception as exc:  # a simulator bug must not look like a network failure
            response, tenant_id = sim.graph_error(request, 500, "generalException",
                                                  f"Simulator error: {exc!r}"), None
        payload = response.payload()
        lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}",
                 f"Server: {self.server_version}", f"Date: {http_date(datetime.now(UTC))}"]
        if response.content_type and response.status not in (204, 304):
            lines.append(f"Content-Type: {response.content_type}")
        lines += [f"Content-Length: {len(payload)}", f"request-id: {request.request_id}",
                  f"client-request-id: {request.client_request_id}",
                  "Strict-Transport-Security: max-age=31536000"]
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        logged = {k: v for k, v in headers.items() if k in _LOGGED_HEADERS}
        if "authorization" in logged:
            logged["authorization"] = logged["authorization"].split(" ")[0] + " <redacted>"
        # Logged before the body goes out, so a test that got its response sees the record.
        sim.requests.append(RequestRecord(self.command, request.decoded_target, logged,
                                          response.status, self.path, tenant_id,
                                          from_us(sim.now_us)))
        # One write: separate header and body writes meet Nagle + delayed ACK (~40 ms stalls).
        self.wfile.write(head + payload if self.command != "HEAD" else head)

