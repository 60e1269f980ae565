from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # Registers the metric samples' daily partitions with m365admin.partitions.
        from monitoring import detection_rules, sampler  # noqa: F401

        # After every app's migrations: security's ready() has registered the detections.
        post_migrate.connect(detection_rules.seed, sender=self,
                             dispatch_uid="monitoring_seed_detection_rules")
