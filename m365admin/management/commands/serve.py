"""Serve HTTP and websockets from one daphne process (the embedded default)."""

from __future__ import annotations

import socket

from channels.routing import get_default_application
from django.core.management.base import BaseCommand, CommandError


def ensure_port_free(host: str, port: int) -> None:
    """Fail early and in one line: daphne only logs a listen failure and stops."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port} ({exc.strerror}): stop what uses it or pass --port"
            ) from None


class Command(BaseCommand):
    help = "Serve m365admin (HTTP, API and websockets) with daphne."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")

    def handle(self, *args, host: str, port: int, **options) -> None:
        ensure_port_free(host, port)
        # Imported here: daphne installs Twisted's asyncio reactor when imported.
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        Server(
            application=get_default_application(),
            endpoints=build_endpoint_description_strings(host=host, port=port),
            verbosity=0,
        ).run()
