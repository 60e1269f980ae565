"""On PostgreSQL, a trigger refuses UPDATE and DELETE on the audit log (SQLite has no such
guard; `verify-audit` still detects changes there)."""

from django.db import migrations

TRIGGER = """
CREATE FUNCTION security_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER security_audit_append_only
    BEFORE UPDATE OR DELETE ON security_auditentry
    FOR EACH ROW EXECUTE FUNCTION security_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS security_audit_append_only ON security_auditentry;
DROP FUNCTION IF EXISTS security_audit_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no placeholders: RAISE uses %
    return run


class Migration(migrations.Migration):
    dependencies = [("security", "0001_security_events_and_audit")]
    operations = [
        migrations.RunPython(_on_postgresql(TRIGGER), _on_postgresql(DROP), elidable=False),
    ]
