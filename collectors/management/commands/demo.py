"""Run the demo: the Graph simulator, two synced demo tenants, and the web server."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from collectors.demo import demo_login, start_simulator
from collectors.progress import BarProgress
from collectors.sync.base import Progress
from collectors.sync.runner import COLLECTORS, run_collector
from m365admin.choices import Collector, SyncTrigger
from m365admin.management.commands.serve import ensure_port_free

# The demo user is a superuser, and Administrators sign in with a second factor: no bypass.
TWO_FACTOR_NOTE = ("{username} is an administrator: the first sign-in asks you to set up an "
                   "authenticator app (TOTP), later ones for its code.\n")


class Command(BaseCommand):
    help = "Start the built-in Graph simulator, sync the demo tenants from it, and serve the app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        # `make run` starts the demo: the refusal names the way to pick a port from there too.
        ensure_port_free(host, port, advice=f"use `make run PORT={port + 1}` (or --port)")
        # Each run is summed up below; the per-page and per-run log lines would repeat it.
        logging.getLogger("collectors.sync").setLevel(logging.ERROR)
        simulator, tenants = start_simulator()
        self.stdout.write(f"Graph simulator listening on {simulator.base_url}")
        bars = sys.stderr.isatty()
        for tenant in tenants:
            for name in COLLECTORS:
                label = f"{tenant.name} · {Collector(name).label}"
                run = run_collector(tenant, name, trigger=SyncTrigger.DEMO,
                                    progress=BarProgress(label) if bars else Progress())
                status = run.get_status_display() + (f": {run.error}" if run.error else "")
                self.stdout.write(f"  {label}: {run.written} written, {status}")
        username, password = demo_login()
        self.stdout.write(self.style.SUCCESS(
            f"\nm365admin is running at http://{host}:{port}/\n"
            f"Sign in as {username} with password {password}\n"
            + (TWO_FACTOR_NOTE.format(username=username)
               if settings.OTP_REQUIRED_FOR_ADMINISTRATORS else "")
            + "Press Ctrl+C to stop.\n"
        ))
        try:
            call_command("serve", host=host, port=port)
        finally:
            simulator.stop()
