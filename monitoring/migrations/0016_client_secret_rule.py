"""A tenant whose client secret expires within 30 days (m365admin.models.tenants.
SECRET_NOTICE_DAYS) or has expired raises an alert naming the tenant and the date (issue 16)."""

from django.db import migrations, models

RULE = "Tenant client secret expiring"


def add_rule(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.create(
        name=RULE, source="client_secret", metric="expiring", comparison="gte",
        threshold=1, for_seconds=1, hysteresis=0, severity="warning",
    )


def remove_rule(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(name=RULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0015_query_stats_history'),
    ]

    operations = [
        migrations.AlterField(
            model_name='alertrule',
            name='source',
            field=models.CharField(choices=[('metric', 'System metric'), ('component', 'Component health'), ('requests', 'Request latency and errors'), ('sync', 'Collector failures'), ('service_health', 'Microsoft 365 service health'), ('notification', 'Notification channels'), ('security', 'Security events'), ('subscription', 'Microsoft 365 subscriptions'), ('client_secret', 'Tenant client secrets')], max_length=20, verbose_name='source'),
        ),
        migrations.RunPython(add_rule, remove_rule),
    ]
