"""Run the built-in Graph simulator on its own, for trying the collectors or benchmarking."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from collectors.simulator import GraphSimulator, SimTenant


class Command(BaseCommand):
    help = ("Serve a simulated Microsoft Graph and identity platform on loopback HTTPS with one "
            "seeded tenant. Point a tenant's authority and Graph URLs at the printed address and "
            "set GRAPH_CA_BUNDLE to the printed certificate.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8443)
        parser.add_argument("--state-dir", type=Path, default=None,
                            help="Where the TLS certificate is kept (default: var/simulator).")
        parser.add_argument("--tenant-id", default=None, help="Default: a new GUID.")
        parser.add_argument("--client-id", default=None, help="Default: a new GUID.")
        parser.add_argument("--client-secret", default=None, help="Default: a new random secret.")
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--signins", type=int, default=5000,
                            help="Sign-ins over the last --days days; new ones keep arriving.")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-premium", action="store_true",
                            help="A tenant without Entra ID P1/P2: sign-in logs are refused.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["users"] < 1 or options["signins"] < 0 or options["days"] < 1:
            raise CommandError("--users and --days must be at least 1, --signins at least 0")
        spec = SimTenant(
            tenant_id=options["tenant_id"] or str(uuid.uuid4()),
            client_id=options["client_id"] or str(uuid.uuid4()),
            client_secret=options["client_secret"] or uuid.uuid4().hex,
            users=options["users"], signins=options["signins"], days=options["days"],
            seed=options["seed"], premium=not options["no_premium"],
        )
        simulator = GraphSimulator(host=options["host"], port=options["port"],
                                   state_dir=options["state_dir"] or settings.SIMULATOR_DIR)
        simulator.add_tenant(spec)
        try:
            simulator.start()
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc.strerror}"
            ) from None
        self.stdout.write(
            f"Graph simulator on {simulator.base_url}\n"
            f"  tenant ID      {spec.tenant_id}\n"
            f"  client ID      {spec.client_id}\n"
            f"  client secret  {spec.client_secret}\n"
            f"  authority URL  {simulator.base_url}  (the tenant row's authority and Graph URL)\n"
            f"  CA bundle      {simulator.ca_bundle}  (GRAPH_CA_BUNDLE)\n",
        )
        self.stdout.flush()
        try:
            simulator.wait()
        except KeyboardInterrupt:
            pass
        finally:
            simulator.stop()
