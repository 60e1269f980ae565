"""Detection settings in one JSON object validated by each detection's declaration
(m365admin/registry/detections.py), instead of a column per threshold; event kinds' choices
read from the registry when used, so a new detection needs no migration."""

from django.db import migrations, models

import m365admin.registry.detections
import security.choices

# The columns this migration folds into `thresholds`, with their defaults, frozen here.
COLUMNS = {
    "brute_force_failures": 10, "brute_force_minutes": 10, "spray_accounts": 10,
    "spray_attempts_per_account": 3, "spray_minutes": 60, "distributed_spray_ips": 5,
    "travel_speed_kmh": 900, "travel_min_km": 500, "new_country_days": 90,
    "break_glass_accounts": "", "privileged_accounts": "", "privileged_countries": "",
    "privileged_hours": "00-24",
}


def columns_to_thresholds(apps, schema_editor):
    DetectionSettings = apps.get_model("security", "DetectionSettings")
    rows = list(DetectionSettings.objects.all())
    for row in rows:
        row.thresholds = {name: getattr(row, name) for name in COLUMNS}
    DetectionSettings.objects.bulk_update(rows, ["thresholds"], batch_size=500)


def thresholds_to_columns(apps, schema_editor):
    DetectionSettings = apps.get_model("security", "DetectionSettings")
    rows = list(DetectionSettings.objects.all())
    for row in rows:
        for name, default in COLUMNS.items():
            setattr(row, name, row.thresholds.get(name, default))
    DetectionSettings.objects.bulk_update(rows, list(COLUMNS), batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("security", "0010_audit_and_preferences_to_base")]

    operations = [
        migrations.AddField(
            model_name="detectionsettings",
            name="thresholds",
            field=models.JSONField(
                blank=True, default=m365admin.registry.detections.defaults,
                help_text="Each detection's settings by name; a missing one is at its default.",
                validators=[m365admin.registry.detections.validate_settings],
                verbose_name="thresholds"),
        ),
        migrations.RunPython(columns_to_thresholds, thresholds_to_columns),
        *[migrations.RemoveField(model_name="detectionsettings", name=name) for name in COLUMNS],
        migrations.AlterField(
            model_name="detectionexception",
            name="kind",
            field=models.CharField(blank=True, choices=security.choices.detection_kinds,
                                   help_text="Empty for every detection.", max_length=40,
                                   verbose_name="detection"),
        ),
        migrations.AlterField(
            model_name="securityevent",
            name="kind",
            field=models.CharField(choices=security.choices.event_kinds, max_length=40,
                                   verbose_name="kind"),
        ),
    ]
