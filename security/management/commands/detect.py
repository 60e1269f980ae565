"""Run the sign-in detections now (a backfill after a first sync, or after changing settings)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from m365admin.models import SignIn, Tenant
from security.detections import runner
from security.models import DetectionCursor


class Command(BaseCommand):
    help = ("Run the threat detections over each tenant's sign-ins not yet read (all of them "
            "the first time). They also run by themselves after every sign-in sync.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", action="append", default=[],
                            help="A tenant's name or tenant ID (repeatable); default: all.")
        parser.add_argument("--no-progress", action="store_true",
                            help="No progress bar, even on a terminal.")

    def handle(self, *args, tenant: list[str], no_progress: bool, **options) -> None:
        tenants = list(Tenant.objects.enabled().order_by("name"))
        if tenant:
            wanted = {t.lower() for t in tenant}
            tenants = [t for t in tenants if {t.name.lower(), t.tenant_id.lower()} & wanted]
            if not tenants:
                raise CommandError(f"no enabled tenant named {', '.join(tenant)}; "
                                   "see the tenants page for their names")
        for one in tenants:
            last = DetectionCursor.objects.filter(name=f"signins:{one.pk}").values_list(
                "last_id", flat=True).first() or 0
            todo = SignIn.objects.filter(tenant=one, id__gt=last).count()
            with tqdm(total=todo, desc=one.name, unit="sign-ins",
                      disable=no_progress or not sys.stderr.isatty()) as bar:
                summary = runner.run(one, progress=bar.update)
            self.stdout.write(
                f"{one.name}: {summary.read} sign-ins read, {summary.recorded} events recorded, "
                f"{summary.updated} extended, {summary.suppressed} suppressed by accepted risks."
            )
