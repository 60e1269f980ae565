from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_partitions(sender, using, **kwargs) -> None:
    # Sign-ins need their monthly partitions before the first sync writes a row.
    from m365admin import partitions

    partitions.create_ahead()


class M365AdminConfig(AppConfig):
    name = "m365admin"
    verbose_name = _("Microsoft 365")

    def ready(self) -> None:
        # Registers the check that the email backend accepts its settings.
        from m365admin.lib import mailers  # noqa: F401

        post_migrate.connect(_create_partitions, sender=self)
        from django.tasks.signals import task_finished, task_started

        from m365admin.workers import beat_on_task

        task_started.connect(beat_on_task)
        task_finished.connect(beat_on_task)
