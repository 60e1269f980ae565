"""A subscription in Warning, Suspended, LockedOut or Expired, or with its next lifecycle date
(renewal or expiry) within 30 days (m365admin.models.licences.RENEWAL_NOTICE_DAYS), raises an
alert naming tenant, product, status and date (issue 15)."""

from django.db import migrations, models

RULE = "Microsoft 365 subscription needs attention"


def add_rule(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.create(
        name=RULE, source="subscription", metric="needs_attention", comparison="gte",
        threshold=1, for_seconds=1, hysteresis=0, severity="warning",
    )


def remove_rule(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(name=RULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0012_databaseaction_cleanup_pending'),
    ]

    operations = [
        migrations.AlterField(
            model_name='alertrule',
            name='source',
            field=models.CharField(choices=[('metric', 'System metric'), ('component', 'Component health'), ('requests', 'Request latency and errors'), ('sync', 'Collector failures'), ('service_health', 'Microsoft 365 service health'), ('notification', 'Notification channels'), ('security', 'Security events'), ('subscription', 'Microsoft 365 subscriptions')], max_length=20, verbose_name='source'),
        ),
        migrations.RunPython(add_rule, remove_rule),
    ]
