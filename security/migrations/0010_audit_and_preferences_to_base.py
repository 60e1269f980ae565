"""The audit log and preferences move to the base (m365admin 0011): this app forgets them,
the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("m365admin", "0012_audit_and_preferences_from_security"),
        ("security", "0009_preference_language"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEntry"),
                migrations.DeleteModel(name="Preference"),
            ],
        ),
    ]
