"""The audit log and people's preferences join the base, so every app uses them without
importing security.

State only: the tables keep their names (security_auditentry, security_preference), their
rows, sequences and constraints, and the audit log its append-only triggers (security 0002 and
0005). The content types are renamed rather than recreated, so the models' permissions (and
the roles holding them) and the admin's history stay attached.
"""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ("auditentry", "preference")


def _content_types(from_app: str, to_app: str):
    def rename(apps, schema_editor) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        ContentType.objects.using(schema_editor.connection.alias).filter(
            app_label=from_app, model__in=MOVED).update(app_label=to_app)
    return rename


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("m365admin", "0011_encrypted_text_field"),
        ("security", "0009_preference_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="time")),
                        ("actor", models.CharField(blank=True, help_text="Empty for the system (scheduler, commands).", max_length=150, verbose_name="actor")),
                        ("actor_id", models.BigIntegerField(blank=True, null=True, verbose_name="actor id")),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                        ("action", models.CharField(db_index=True, max_length=60, verbose_name="action")),
                        ("target", models.CharField(blank=True, max_length=300, verbose_name="target")),
                        ("details", models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name="details")),
                        ("previous_hash", models.CharField(max_length=64, verbose_name="previous hash")),
                        ("hash", models.CharField(max_length=64, unique=True, verbose_name="hash")),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit log",
                        "db_table": "security_auditentry",
                        "ordering": ["-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Preference",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("time_zone", models.CharField(blank=True, max_length=64, verbose_name="time zone")),
                        ("language", models.CharField(blank=True, choices=[("en", "English"), ("ja", "Japanese")], max_length=10, verbose_name="language")),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="preference", to=settings.AUTH_USER_MODEL, verbose_name="user")),
                    ],
                    options={
                        "verbose_name": "preference",
                        "verbose_name_plural": "preferences",
                        "db_table": "security_preference",
                    },
                ),
            ],
        ),
        migrations.RunPython(_content_types("security", "m365admin"),
                             _content_types("m365admin", "security")),
    ]
