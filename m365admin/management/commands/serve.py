"""Serve HTTP and websockets from daphne, with the scheduler on the same event loop and a task
worker in a thread.

Daphne has no ASGI lifespan (DESIGN.md "Facts checked"), so the embedded default runs daphne's
server from here and starts the scheduler on its loop once the reactor runs.
`serve --production` starts the production topology instead (m365admin/topology.py): Caddy,
granian's WSGI workers, daphne for /ws/, two schedulers and two task workers, supervised as
one.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path
from typing import Any

from channels.routing import get_default_application
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from m365admin import serving, topology
from m365admin.lib.supervisor import Supervisor
from m365admin.models.sync import this_process
from m365admin.registry.serving import start_beside_server
from m365admin.scheduler import Scheduler
from m365admin.taskqueue.worker import start_in_thread


def ensure_port_free(host: str, port: int, *, advice: str = "pass --port") -> None:
    """Fail early and in one line: daphne only logs a listen failure and stops. `advice` says
    how to choose another port with the command the operator typed."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As daphne (Twisted) binds: a port whose last connections linger in TIME-WAIT after a
        # stop is free again at once; one something listens on is still refused.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port} ({exc.strerror}): stop what uses it or {advice}"
            ) from None


class Command(BaseCommand):
    help = ("Serve m365admin (HTTP, API and websockets) with daphne, and run the scheduler and "
            "a task worker.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on.")
        parser.add_argument("--port", type=int, help="Port to listen on (8000).")
        parser.add_argument(
            "--no-scheduler", action="store_true",
            help="Serve only; run `manage.py scheduler` and `manage.py worker` separately.",
        )
        production = parser.add_argument_group(
            "production", "--production: Caddy on --port (TLS) and --http-port (redirects), "
            "granian's WSGI workers, daphne for /ws/, two schedulers and two task workers, stopped "
            "together by Ctrl-C or SIGTERM. Needs PostgreSQL, Redis, Caddy and collected static "
            "files.",
        )
        production.add_argument("--production", action="store_true",
                                help="Start the production topology (--port defaults to 8443).")
        production.add_argument("--workers", type=int, default=2, help="WSGI worker processes (2).")
        production.add_argument("--http-port", type=int, default=8080,
                                help="Plain HTTP, redirected to HTTPS (8080).")
        production.add_argument("--cert", type=Path, help="PEM certificate chain (default: a "
                                "self-signed one for 127.0.0.1 and localhost, under var/tls/).")
        production.add_argument("--key", type=Path, help="PEM private key of --cert.")

    def handle(self, *args: Any, host: str, port: int | None, no_scheduler: bool,
               production: bool, **options: Any) -> None:
        if production:
            self._production(host, port or 8443, **options)
            return
        port = port or 8000
        ensure_port_free(host, port)
        # Imported here: daphne installs Twisted's asyncio reactor when imported.
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server
        from twisted.internet import reactor, threads

        start_beside_server()
        if not no_scheduler:
            # The API health check requests this very server.
            serving.serving_on(host, port)
            scheduler = Scheduler()
            reactor.callWhenRunning(lambda: asyncio.ensure_future(scheduler.run()))
            # Twisted types the reactor with zope Interfaces, whose methods have no `self`: without
            # the mypy-zope plugin, mypy takes "shutdown" for the callable (the ignores below).
            reactor.addSystemEventTrigger("before", "shutdown",  # type: ignore[arg-type]  # zope
                                          scheduler.stop)
            # One task worker in a thread, so `make run` needs no other process.
            worker = start_in_thread(f"{this_process()}:serve")
            # Waited for (a Deferred), so its clean stop is recorded before the process exits.
            reactor.addSystemEventTrigger("before", "shutdown",  # type: ignore[arg-type]  # zope
                                          threads.deferToThread, worker.stop_and_wait, 10.0)
        Server(
            application=get_default_application(),
            endpoints=build_endpoint_description_strings(host=host, port=port),
            verbosity=0,
        ).run()

    def _production(self, host: str, port: int, *, workers: int, http_port: int,
                    cert: Path | None, key: Path | None, **options: Any) -> None:
        if (cert is None) != (key is None):
            raise CommandError("--cert and --key go together")
        for path in (cert, key):
            if path is not None and not path.is_file():
                raise CommandError(f"no such file: {path}")
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        caddy = topology.check_requirements()
        if cert is None or key is None:  # both or neither (checked above)
            cert, key = topology.self_signed_certificate(settings.VAR_DIR / "tls")
        for listen in (port, http_port):
            ensure_port_free(host, listen)
        ports = topology.Ports(https=port, http=http_port, wsgi=topology.free_port(),
                               daphne=topology.free_port())
        supervisor = Supervisor(
            topology.programs(caddy=caddy, host=host, ports=ports, workers=workers, cert=cert,
                              key=key),
            cwd=Path(settings.BASE_DIR), out=self.stdout,
        )
        any_address = host in ("0.0.0.0", "::")  # noqa: S104 — a comparison, not a bind
        public = f"https://{'127.0.0.1' if any_address else host}:{port}"
        supervisor.say(f"m365admin on {public}/ (certificate {cert})")
        # The backends first, so Caddy is not asked to proxy to a port nobody listens on yet.
        probes = [f"http://127.0.0.1:{ports.wsgi}/healthz",
                  f"http://127.0.0.1:{ports.daphne}/healthz", f"{public}/healthz"]
        sys.exit(supervisor.run(ready=lambda: all(topology.answers(url) for url in probes)))
