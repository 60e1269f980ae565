"""On PostgreSQL, TRUNCATE of the audit log is refused too: row-level triggers (0002) never
fire for it, so it emptied the table past the append-only guard. A statement-level trigger
calls the same function, which names the operation it refuses."""

from django.db import migrations

TRIGGER = """
CREATE TRIGGER security_audit_no_truncate
    BEFORE TRUNCATE ON security_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION security_audit_append_only();
"""
DROP = "DROP TRIGGER IF EXISTS security_audit_no_truncate ON security_auditentry;"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("security", "0004_detections")]
    operations = [
        migrations.RunPython(_on_postgresql(TRIGGER), _on_postgresql(DROP), elidable=False),
    ]
