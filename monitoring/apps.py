from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # Registers the metric samples' daily partitions with m365admin.partitions.
        # Registers every channel kind's notifier (m365admin/registry/notifiers.py).
        from monitoring import (
            notifiers,  # noqa: F401
            sampler,  # noqa: F401
        )
