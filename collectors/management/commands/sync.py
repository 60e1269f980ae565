"""Sync tenants from Microsoft Graph: all or some tenants, all or some collectors."""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from collectors.progress import BarProgress
from collectors.sync.base import Progress
from collectors.sync.runner import COLLECTORS, run_collector
from m365admin.choices import Collector, SyncStatus
from m365admin.models import Tenant


class Command(BaseCommand):
    help = ("Sync tenants from Microsoft Graph. Exits non-zero when a collector failed. The "
            "detections of the synced sign-ins are queued for the task workers (serve, or "
            "manage.py worker).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tenant", action="append", default=[], metavar="TENANT",
            help="Tenant ID, name or code; repeat for several (default: every enabled tenant).",
        )
        parser.add_argument(
            "--collector", action="append", default=[], choices=list(COLLECTORS),
            help="Collector to run; repeat for several (default: all, in order).",
        )
        parser.add_argument(
            "--no-progress", action="store_true",
            help="Log one line per page instead of drawing progress bars.",
        )

    def handle(self, *args: Any, tenant: list[str], collector: list[str], no_progress: bool,
               **options: Any) -> None:
        tenants = select_tenants(tenant)
        collectors = [c for c in COLLECTORS if c in collector] if collector else list(COLLECTORS)
        bars = not no_progress and sys.stderr.isatty()
        if bars:
            # The bars say what the per-page log lines would; keep warnings.
            logging.getLogger("collectors.sync").setLevel(logging.WARNING)
        failures = []
        for each in tenants:
            for name in collectors:
                label = f"{each.name} · {Collector(name).label}"
                run = run_collector(each, name, progress=BarProgress(label) if bars else Progress())
                if bars or options["verbosity"] > 1:
                    self.stdout.write(f"{label}: {run.get_status_display()}, {run.written} written"
                                      + (f" — {run.error}" if run.error else ""))
                if run.status == SyncStatus.FAILED:
                    failures.append(f"{each.name} ({each.tenant_id}) {name}: {run.error}")
        if failures:
            raise CommandError("sync failed: " + "; ".join(failures))


def select_tenants(names: list[str]) -> list[Tenant]:
    if not names:
        tenants = list(Tenant.objects.enabled())
        if not tenants:
            raise CommandError("no enabled tenant: register one in the admin first")
        return tenants
    tenants = []
    for name in names:
        match = Q(tenant_id__iexact=name) | Q(name__iexact=name)
        if _is_uuid(name):
            match |= Q(code=name)
        found = list(Tenant.objects.filter(match))
        if len(found) != 1:
            known = ", ".join(Tenant.objects.values_list("name", flat=True)) or "none"
            problem = "no tenant" if not found else "more than one tenant"
            raise CommandError(f"{problem} matches {name!r} (known tenants: {known})")
        tenants.append(found[0])
    return tenants


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
