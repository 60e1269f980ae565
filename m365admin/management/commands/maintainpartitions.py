"""Create the sign-in partitions due ahead and drop those past retention (PostgreSQL)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from m365admin import partitions


class Command(BaseCommand):
    help = ("Create monthly sign-in partitions SIGNIN_PARTITIONS_AHEAD months ahead and drop "
            "those older than SIGNIN_RETENTION_DAYS. Safe to run daily; a no-op on SQLite.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not partitions.is_partitioned():
            self.stdout.write("SQLite keeps sign-ins in one plain table: nothing to do.")
            return
        created, dropped = partitions.maintain()
        self.stdout.write(f"created: {', '.join(created) or 'none'}")
        self.stdout.write(f"dropped: {', '.join(dropped) or 'none'}")
