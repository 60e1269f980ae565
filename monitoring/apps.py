from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # Registers the metric samples' daily partitions with m365admin.partitions, every
        # channel kind's notifier (m365admin/registry/notifiers.py), and the request
        # statistics' flusher with what `serve` runs beside its server.
        from monitoring import (
            notifiers,  # noqa: F401
            requeststats,  # noqa: F401
            sampler,  # noqa: F401
        )
