from django.apps import AppConfig
from django.db.models.signals import post_migrate
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
        from monitoring.alerts import detection_rules

        # After every app's migrations: security's ready() has registered the detections.
        post_migrate.connect(detection_rules.seed, sender=self,
                             dispatch_uid="monitoring_seed_detection_rules")
