"""The task queue is a component (issue 18): alerts when no worker is alive (down) or the
oldest due task waits longer than one interval (degraded), with the other components' defaults
(0003_default_alert_rules)."""

from django.db import migrations, models

DOWN, DEGRADED = "Component down: queue", "Component degraded: queue"


def add_rules(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    AlertRule.objects.create(name=DOWN, source="component", metric="queue", comparison="gte",
                             threshold=2, for_seconds=60, hysteresis=0, severity="critical")
    AlertRule.objects.create(name=DEGRADED, source="component", metric="queue",
                             comparison="eq", threshold=1, for_seconds=300, hysteresis=0,
                             severity="warning")


def remove_rules(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(name__in=[DOWN, DEGRADED]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0020_channel_config"),
    ]

    operations = [
        migrations.AlterField(
            model_name="componenthealth",
            name="component",
            field=models.CharField(choices=[("api", "API"), ("database", "Database"), ("graph", "Microsoft Graph"), ("exchange", "Exchange Online"), ("auth", "Authentication"), ("cache", "Cache and channel layer"), ("queue", "Task queue")], max_length=16, unique=True, verbose_name="component"),
        ),
        migrations.RunPython(add_rules, remove_rules),
    ]
