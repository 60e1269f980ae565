"""One alert rule per sign-in detection (security/detections/), like 0005 for attacks on the app."""

from django.db import migrations

# One rule per detection kind at its severity (EVENT_SEVERITY in security/choices.py), frozen
# here: a later change there must not rewrite what this migration did. Any one event alerts
# (threshold 1): a detection has already done the counting. Events a detection records below
# its kind's level (a blocked legacy sign-in, travel through an anonymiser) do not count
# (monitoring/alerts/alerting.py).
DETECTION_RULES = [
    ("Brute force against an account", "brute_force", "warning"),
    ("Password spray", "password_spray", "error"),
    ("Distributed password spray", "distributed_spray", "error"),
    ("Impossible travel", "impossible_travel", "error"),
    ("Legacy authentication", "legacy_auth", "error"),
    ("Single-factor sign-in", "mfa_gap", "warning"),
    ("Sign-in from a new country", "new_country", "info"),
    ("Risky sign-in reported by Entra ID", "risky_sign_in", "warning"),
    ("Emergency access account used", "break_glass", "critical"),
    ("Privileged account outside its usual pattern", "privileged_anomaly", "error"),
]


def add_detection_rules(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    AlertRule.objects.bulk_create([
        AlertRule(name=name, source="security", metric=kind, comparison="gte", threshold=1,
                  for_seconds=1, hysteresis=0, severity=severity)
        for name, kind, severity in DETECTION_RULES
    ])


def remove_detection_rules(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(
        source="security", metric__in=[kind for _name, kind, _severity in DETECTION_RULES],
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0006_requeststat_refused")]

    operations = [migrations.RunPython(add_detection_rules, remove_detection_rules)]
