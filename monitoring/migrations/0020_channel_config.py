"""Each channel's kind-specific columns move into its `config` (checked by the kind's notifier,
monitoring/notifiers/): an email channel keeps its addresses, the URL kinds their URL and
timeout. Values a kind never read (a URL left on an email channel) are not carried over; the
secret stays where it is. Reversible: the columns are filled back from the config."""

import re

from django.db import migrations, models

import m365admin.registry.notifiers

URL_KINDS = ("webhook", "teams", "slack")


def columns_to_config(apps, schema_editor):
    Channel = apps.get_model("monitoring", "NotificationChannel")
    for channel in Channel.objects.all():
        if channel.kind == "email":
            channel.config = {"emails": [address.strip() for address
                                         in re.split(r"[,\n]", channel.emails)
                                         if address.strip()]}
        elif channel.kind in URL_KINDS:
            channel.config = {"url": channel.url, "timeout": channel.timeout}
        channel.save(update_fields=["config"])


def config_to_columns(apps, schema_editor):
    Channel = apps.get_model("monitoring", "NotificationChannel")
    for channel in Channel.objects.all():
        channel.emails = ", ".join(channel.config.get("emails", []))
        channel.url = channel.config.get("url", "")
        channel.timeout = channel.config.get("timeout", 10.0)
        channel.save(update_fields=["emails", "url", "timeout"])


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0019_encrypted_text_field'),
    ]

    operations = [
        migrations.AddField(
            model_name='notificationchannel',
            name='config',
            field=models.JSONField(blank=True, default=dict, verbose_name='configuration'),
        ),
        migrations.RunPython(columns_to_config, config_to_columns, elidable=False),
        migrations.RemoveField(
            model_name='notificationchannel',
            name='emails',
        ),
        migrations.RemoveField(
            model_name='notificationchannel',
            name='timeout',
        ),
        migrations.RemoveField(
            model_name='notificationchannel',
            name='url',
        ),
        migrations.AlterField(
            model_name='notificationchannel',
            name='kind',
            field=models.CharField(choices=m365admin.registry.notifiers.choices, max_length=10, verbose_name='kind'),
        ),
    ]
