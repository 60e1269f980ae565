"""Serve HTTP and websockets from daphne, with the scheduler on the same event loop.

Daphne has no ASGI lifespan (DESIGN.md "Facts checked"), so the embedded default runs daphne's
server from here and starts the scheduler on its loop once the reactor runs. In production run
`serve --no-scheduler` for each web process and `manage.py scheduler` beside them.
"""

from __future__ import annotations

import asyncio
import socket

from channels.routing import get_default_application
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from m365admin.scheduler import Scheduler
from monitoring.requeststats import start_flusher


def ensure_port_free(host: str, port: int, *, advice: str = "pass --port") -> None:
    """Fail early and in one line: daphne only logs a listen failure and stops. `advice` says
    how to choose another port with the command the operator typed."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port} ({exc.strerror}): stop what uses it or {advice}"
            ) from None


class Command(BaseCommand):
    help = "Serve m365admin (HTTP, API and websockets) with daphne, and run the scheduler."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--no-scheduler", action="store_true",
            help="Serve only; run `manage.py scheduler` separately (production).",
        )

    def handle(self, *args, host: str, port: int, no_scheduler: bool, **options) -> None:
        ensure_port_free(host, port)
        # Imported here: daphne installs Twisted's asyncio reactor when imported.
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server
        from twisted.internet import reactor

        start_flusher()
        if not no_scheduler:
            # The API health check requests this very server.
            address = f"[{host}]" if ":" in host else host
            settings.HEALTH_API_URL = f"http://{address}:{port}/healthz"
            scheduler = Scheduler()
            reactor.callWhenRunning(lambda: asyncio.ensure_future(scheduler.run()))
            reactor.addSystemEventTrigger("before", "shutdown", scheduler.stop)
        Server(
            application=get_default_application(),
            endpoints=build_endpoint_description_strings(host=host, port=port),
            verbosity=0,
        ).run()
