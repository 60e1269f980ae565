"""The default alert rules (DESIGN.md's thresholds), editable in the admin afterwards."""

from django.db import migrations

COMPONENTS = ["api", "database", "graph", "exchange", "auth", "cache"]

# name, source, metric, comparison, threshold, for (s), hysteresis, severity
DEFAULTS = [
    ("CPU above 80 %", "metric", "cpu", "gt", 80, 300, 5, "warning"),
    ("Memory above 85 %", "metric", "memory", "gt", 85, 300, 5, "warning"),
    ("Disk above 90 %", "metric", "disk", "gt", 90, 300, 2, "error"),
    ("Response time p95 above 2 s", "requests", "p95", "gt", 2000, 300, 200, "warning"),
    ("Error rate above 5 %", "requests", "error_rate", "gt", 5, 300, 1, "error"),
    ("Microsoft 365 service degraded", "service_health", "level", "gte", 1, 60, 0, "warning"),
    ("Collector failing 3 runs in a row", "sync", "consecutive_failures", "gte", 3, 1, 0, "error"),
    ("Notification channel failing", "notification", "failing", "gte", 1, 1, 0, "error"),
    *[(f"Component down: {c}", "component", c, "gte", 2, 60, 0, "critical") for c in COMPONENTS],
    *[(f"Component degraded: {c}", "component", c, "eq", 1, 300, 0, "warning") for c in COMPONENTS],
]


def add_defaults(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    AlertRule.objects.bulk_create([
        AlertRule(name=name, source=source, metric=metric, comparison=comparison,
                  threshold=threshold, for_seconds=for_seconds, hysteresis=hysteresis,
                  severity=severity)
        for name, source, metric, comparison, threshold, for_seconds, hysteresis, severity
        in DEFAULTS
    ])


def remove_defaults(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    AlertRule.objects.filter(name__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_alerts")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
