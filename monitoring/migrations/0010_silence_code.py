"""A public code for each silence, for its URLs (/alerts/silences/<code>/expire)."""

import uuid

from django.db import migrations, models


def give_codes(apps, schema_editor):
    Silence = apps.get_model("monitoring", "Silence")
    for silence in Silence.objects.filter(code__isnull=True).only("pk"):
        Silence.objects.filter(pk=silence.pk).update(code=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0009_alert_previous")]

    operations = [
        # Nullable first: a default on a unique column would give every existing row one code.
        migrations.AddField("silence", "code", models.UUIDField(null=True, editable=False)),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField("silence", "code", models.UUIDField(
            default=uuid.uuid4, editable=False, unique=True, verbose_name="code")),
    ]
