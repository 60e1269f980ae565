"""Serve HTTP and websockets from one daphne process (the embedded default)."""

from __future__ import annotations

from channels.routing import get_default_application
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve m365admin (HTTP, API and websockets) with daphne."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")

    def handle(self, *args, host: str, port: int, **options) -> None:
        # Imported here: daphne installs Twisted's asyncio reactor when imported.
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server
        from twisted.internet.error import CannotListenError

        server = Server(
            application=get_default_application(),
            endpoints=build_endpoint_description_strings(host=host, port=port),
            verbosity=0,
        )
        try:
            server.run()
        except CannotListenError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port} ({exc.socketError}): stop what uses it or "
                "pass --port"
            ) from None
