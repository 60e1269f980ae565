from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # Registers the metric samples' daily partitions with m365admin.partitions, and the
        # request statistics' flusher with what `serve` runs beside its server.
        from monitoring import requeststats, sampler  # noqa: F401
