"""An alert rule for every registered detection kind, seeded after each `migrate`.

The detections register their kinds in the base registry (m365admin/registry/detections.py),
so a new detection needs no data migration here: its rule appears at the next migrate. A rule
is only added when its kind has none, so an administrator's changes stay; to silence a
detection, disable its rule (a deleted one comes back at the next migrate). The rules seeded
before this (migrations 0005 and 0007) are the same rules.
"""

from __future__ import annotations

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS
from django.utils import translation

from m365admin.choices import AlertSource
from m365admin.registry import detections as registry
from monitoring.choices import Comparison


def seed(sender: AppConfig, *, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS,
         **kwargs: object) -> None:
    """post_migrate receiver (MonitoringConfig.ready): one rule per kind that has none, at the
    kind's severity and alert threshold, named after its label in English (translated when
    shown, monitoring/titles.py). Also after `flush`, which sends no `apps`."""
    try:
        AlertRule = apps.get_model("monitoring", "AlertRule")
    except LookupError:  # migrated back before the alert rules existed
        return
    ruled = set(AlertRule.objects.using(using).filter(source=AlertSource.SECURITY)
                .values_list("metric", flat=True))
    with translation.override("en"):
        AlertRule.objects.using(using).bulk_create([
            AlertRule(name=str(kind.label), source=AlertSource.SECURITY, metric=kind.value,
                      comparison=Comparison.GTE, threshold=kind.alert_threshold,
                      for_seconds=1, hysteresis=0, severity=kind.severity)
            for kind in registry.DETECTION_KINDS if kind.value not in ruled
        ])
