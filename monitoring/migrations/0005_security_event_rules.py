"""Security events as an alert source, with one default rule per event kind."""

from django.db import migrations, models

# One rule per security-event kind at its severity (security/choices.py), frozen here.
# Threshold: events of that kind from one IP (or user) within SECURITY_ALERT_WINDOW_MINUTES.
SECURITY_RULES = [
    ("Repeated failed sign-ins", "login_failed", 10, "info"),
    ("Account locked out", "lockout", 1, "warning"),
    ("SQL injection attempts", "sql_injection", 1, "error"),
    ("Cross-site scripting attempts", "xss", 1, "error"),
    ("Requests from a denied IP address", "ip_denied", 1, "warning"),
    ("Rate limit exceeded", "rate_limited", 1, "warning"),
    ("Revoked token reused", "token_reuse", 1, "critical"),
    ("Repeated access denied", "access_denied", 20, "info"),
]


def add_security_rules(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    AlertRule.objects.bulk_create([
        AlertRule(name=name, source="security", metric=kind, comparison="gte",
                  threshold=threshold, for_seconds=1, hysteresis=0, severity=severity)
        for name, kind, threshold, severity in SECURITY_RULES
    ])


def remove_security_rules(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(source="security").delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_notifications")]

    operations = [
        migrations.AlterField(
            model_name="alertrule",
            name="source",
            field=models.CharField(
                choices=[("metric", "System metric"), ("component", "Component health"),
                         ("requests", "Request latency and errors"),
                         ("sync", "Collector failures"),
                         ("service_health", "Microsoft 365 service health"),
                         ("notification", "Notification channels"),
                         ("security", "Security events")],
                max_length=20, verbose_name="source",
            ),
        ),
        migrations.RunPython(add_security_rules, remove_security_rules),
    ]
