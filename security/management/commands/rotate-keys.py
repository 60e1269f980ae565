"""Re-encrypt every stored secret under the first key of FERNET_KEYS."""

from __future__ import annotations

import sys

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from tqdm import tqdm

from m365admin import audit
from m365admin.lib import crypto
from m365admin.lib.fields import EncryptedTextField


def encrypted_columns() -> list[tuple[type[models.Model], str]]:
    """Every EncryptedTextField of every installed app, found through the app registry: a
    column added later is rotated too, so removing the old key cannot leave it unreadable."""
    return [(model, field.name) for model in apps.get_models()
            for field in model._meta.get_fields() if isinstance(field, EncryptedTextField)]


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (tenant client secrets, notification channel secrets, "
        "any EncryptedTextField) under the first key of FERNET_KEYS. Rotation without "
        "downtime: put the new key first (keep the old one after it) and restart; run this; "
        "then remove the old key and restart again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-progress", action="store_true",
                            help="No progress bar, even on a terminal.")

    def handle(self, *args, no_progress: bool, **options) -> None:
        rotated, unreadable = 0, []
        for model, field in encrypted_columns():
            rows = model._default_manager.exclude(**{field: ""}).order_by("pk")
            label = model._meta.verbose_name_plural
            bar = tqdm(rows.values_list("pk", flat=True), total=rows.count(), desc=str(label),
                       disable=no_progress or not sys.stderr.isatty())
            for pk in bar:
                # One row per transaction: a run stopped midway leaves every secret readable
                # (rotated ones under the new key, the rest still under an old one).
                with transaction.atomic():
                    row = model._default_manager.select_for_update().get(pk=pk)
                    try:
                        setattr(row, field, crypto.rotate(getattr(row, field)))
                    except InvalidToken:
                        unreadable.append(f"{model._meta.label_lower}:{pk} ({row})")
                        continue
                    row.save(update_fields=[field])
                    rotated += 1
        audit.record("secrets.rotated", "FERNET_KEYS",
                     {"rotated": rotated, "unreadable": len(unreadable)})
        self.stdout.write(f"{rotated} secrets re-encrypted under the first key.")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} secrets could not be decrypted with any key in FERNET_KEYS "
                f"and were left as they are: {', '.join(unreadable)}. Put back the key they "
                "were encrypted with, or enter those secrets again in the admin."
            )
