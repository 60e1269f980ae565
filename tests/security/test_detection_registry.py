"""The detection registry (m365admin/registry/detections.py): what a detection declares, the
per-tenant thresholds validated against it, and the alert rules seeded from it after migrate."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from m365admin.choices import AlertSource, Severity
from m365admin.registry import detections as registry
from m365admin.registry.detections import Kind, Number, Text, detection
from monitoring.models import AlertRule
from security.choices import DETECTION_KINDS, EVENT_SEVERITY, EventKind
from security.models import DetectionSettings
from tests.factories import make_tenant


@pytest.fixture
def scratch_registry():
    """The registry as the app registered it, put back after the test."""
    saved = (dict(registry.KINDS), dict(registry.SEVERITIES), list(registry.DETECTIONS),
             list(registry.DETECTION_KINDS), dict(registry.SETTINGS))
    yield
    for live, before in zip((registry.KINDS, registry.SEVERITIES, registry.DETECTIONS,
                             registry.DETECTION_KINDS, registry.SETTINGS), saved, strict=True):
        live.clear()
        if isinstance(live, dict):
            live.update(before)
        else:
            live.extend(before)


def _nothing(ctx):
    return []


def _registered() -> tuple:
    return (list(registry.KINDS), list(registry.DETECTIONS), list(registry.SETTINGS))


# Registration -------------------------------------------------------------------------------


def test_every_detection_kind_is_an_event_kind_with_its_label_and_severity():
    assert [k.value for k in DETECTION_KINDS] == [
        "brute_force", "password_spray", "distributed_spray", "impossible_travel", "legacy_auth",
        "mfa_gap", "new_country", "risky_sign_in", "break_glass", "privileged_anomaly"]
    for kind in DETECTION_KINDS:
        assert EventKind(kind.value).label == kind.label
        assert EVENT_SEVERITY[kind] == kind.severity
    assert EVENT_SEVERITY[EventKind.TOKEN_REUSE] == Severity.CRITICAL  # the app's own kinds too


def test_a_detection_declares_its_settings_with_their_defaults():
    assert registry.defaults()["brute_force_failures"] == 10
    assert registry.defaults()["privileged_hours"] == "00-24"
    settings = DetectionSettings()
    assert (settings.spray_minutes, settings.travel_speed_kmh) == (60, 900)


@pytest.mark.usefixtures("scratch_registry")
def test_a_kind_registered_twice_is_refused_and_nothing_is_registered():
    before = _registered()
    with pytest.raises(ImproperlyConfigured, match="'brute_force' is already registered"):
        detection(Kind("brute_force", "Again", Severity.ERROR),
                  settings=[Number("fresh_setting", 1, "fresh")])(_nothing)
    with pytest.raises(ImproperlyConfigured, match="named twice"):
        detection(Kind("twice", "Twice", Severity.ERROR),
                  Kind("twice", "Twice", Severity.ERROR))(_nothing)
    assert _registered() == before


@pytest.mark.usefixtures("scratch_registry")
def test_a_setting_name_registered_twice_is_refused():
    before = _registered()
    with pytest.raises(ImproperlyConfigured, match="'spray_minutes' is already registered"):
        detection(Kind("fresh_kind", "Fresh", Severity.INFO),
                  settings=[Number("spray_minutes", 5, "minutes")])(_nothing)
    with pytest.raises(ImproperlyConfigured, match="'fresh_setting' is already registered"):
        detection(Kind("fresh_kind", "Fresh", Severity.INFO),
                  settings=[Number("fresh_setting", 5, "a"), Text("fresh_setting", "", "b")])(
            _nothing)
    assert _registered() == before


@pytest.mark.usefixtures("scratch_registry")
@pytest.mark.parametrize("kind, declared, message", [
    (Kind("fresh_kind", "Fresh", Severity.INFO), [Number("low", 1, "low", minimum=2)],
     "low: its default 1 is invalid: low: at least 2."),
    (Kind("fresh_kind", "Fresh", Severity.INFO), [Number("word", "ten", "word")],
     "a whole number is required"),
    (Kind("fresh_kind", "Fresh", Severity.INFO), [Text("long", "xyz", "long", max_length=2)],
     "at most 2 characters"),
    (Kind("fresh_kind", "Fresh", Severity.INFO), [Number("not a name", 1, "n")],
     "a setting name is an identifier"),
    (Kind("fresh_kind", "Fresh", "loud"), [], "'loud' is not a severity"),
    (Kind("Fresh Kind", "Fresh", Severity.INFO), [], "a kind is a lower-case identifier"),
    (Kind("fresh_kind", "Fresh", Severity.INFO, alert_threshold=0), [],
     "the alert threshold is a count of at least 1"),
])
def test_bad_declarations_are_refused(kind, declared, message):
    before = _registered()
    with pytest.raises(ImproperlyConfigured, match=message):
        detection(kind, settings=declared)(_nothing)
    assert _registered() == before


# Thresholds ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_thresholds_keep_each_tenants_values_and_default_the_rest():
    tenant = make_tenant()
    DetectionSettings.objects.create(tenant=tenant, brute_force_failures=5)
    DetectionSettings.objects.filter(tenant=tenant).update(thresholds={"spray_minutes": 30})
    settings = DetectionSettings.objects.get(tenant=tenant)
    assert (settings.spray_minutes, settings.brute_force_failures) == (30, 10)
    settings.full_clean()


@pytest.mark.django_db
def test_bad_thresholds_are_refused_each_by_name():
    settings = DetectionSettings(tenant=make_tenant(), thresholds={
        "brute_force_failures": 1, "spray_minutes": "sixty", "privileged_hours": "x" * 12,
        "no_such_threshold": 3})
    with pytest.raises(ValidationError) as raised:
        settings.full_clean()
    assert sorted(raised.value.message_dict["thresholds"]) == [
        "brute force: failures: at least 2.",
        "no_such_threshold is not a detection setting.",
        "privileged accounts: usual hours (UTC): at most 11 characters.",
        "spray: window (minutes): a whole number is required.",
    ]
    settings.thresholds = ["not", "an", "object"]
    with pytest.raises(ValidationError, match="an object of setting names"):
        settings.full_clean()


@pytest.mark.django_db
def test_the_admin_edits_each_setting_and_refuses_bad_ones(client, admin):
    tenant = make_tenant()
    settings = DetectionSettings.objects.create(tenant=tenant, privileged_hours="07-19")
    client.force_login(admin)
    url = reverse("admin:security_detectionsettings_change", args=[settings.pk])
    page = client.get(url).content.decode()
    assert 'name="brute_force_failures" value="10"' in page
    assert 'name="privileged_hours" value="07-19"' in page
    form = {**registry.defaults(), "tenant": tenant.pk, "inactive_days": 30,
            "privileged_hours": "07-19", "brute_force_failures": 1, "spray_minutes": "soon"}
    response = client.post(url, form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["brute_force_failures"] == [
        "Ensure this value is greater than or equal to 2."]
    assert errors["spray_minutes"] == ["Enter a whole number."]
    settings.refresh_from_db()
    assert settings.brute_force_failures == 10  # nothing written

    response = client.post(url, {**form, "brute_force_failures": 4, "spray_minutes": 45,
                                 "privileged_accounts": "Admin@contoso.com\n"})
    assert response.status_code == 302
    settings.refresh_from_db()
    assert (settings.brute_force_failures, settings.spray_minutes) == (4, 45)
    assert settings.privileged_accounts == "Admin@contoso.com\n"
    assert set(settings.thresholds) == set(registry.SETTINGS)


# Alert rules --------------------------------------------------------------------------------


def _detection_rules() -> dict[str, AlertRule]:
    return {r.metric: r for r in AlertRule.objects.filter(source=AlertSource.SECURITY,
                                                            metric__in=DETECTION_KINDS)}


@pytest.mark.django_db
def test_migrate_seeds_a_rule_for_every_detection_that_has_none():
    AlertRule.objects.filter(source=AlertSource.SECURITY,
                             metric__in=["brute_force", "mfa_gap"]).delete()
    AlertRule.objects.filter(metric="new_country").update(threshold=3, enabled=False)
    call_command("migrate", verbosity=0)
    rules = _detection_rules()
    assert set(rules) == set(DETECTION_KINDS)
    brute = rules["brute_force"]
    assert (brute.name, brute.severity, brute.threshold, brute.comparison, brute.for_seconds) == (
        "Brute force against an account", "warning", 1, "gte", 1)
    brute.full_clean()
    # A rule an administrator changed is left as it is.
    assert (rules["new_country"].threshold, rules["new_country"].enabled) == (3, False)
    assert AlertRule.objects.filter(metric="brute_force").count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("scratch_registry")
def test_a_newly_registered_detection_gets_its_rule_without_a_migration():
    detection(Kind("tailgating", _("Tailgating"), Severity.CRITICAL, alert_threshold=2),
              settings=[Number("tailgating_minutes", 5, "tailgating: minutes", minimum=1)])(
        _nothing)
    assert registry.defaults()["tailgating_minutes"] == 5
    call_command("migrate", verbosity=0)
    rule = AlertRule.objects.get(source=AlertSource.SECURITY, metric="tailgating")
    assert (rule.name, rule.severity, rule.threshold, rule.enabled) == (
        "Tailgating", "critical", 2, True)


# The migration ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_each_column_into_the_thresholds_and_back():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("security", "0009_preference_language"), (
        "security", "0011_detection_settings_thresholds")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    tenant = old.get_model("m365admin", "Tenant").objects.get(pk=make_tenant().pk)
    old.get_model("security", "DetectionSettings").objects.create(
        tenant=tenant, brute_force_failures=7, spray_minutes=45, privileged_hours="07-19",
        privileged_accounts="admin@contoso.com", inactive_days=60)

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    settings = DetectionSettings.objects.get(tenant_id=tenant.pk)
    assert settings.thresholds == {**registry.defaults(), "brute_force_failures": 7,
                                   "spray_minutes": 45, "privileged_hours": "07-19",
                                   "privileged_accounts": "admin@contoso.com"}
    assert settings.inactive_days == 60

    DetectionSettings.objects.filter(pk=settings.pk).update(
        thresholds={**settings.thresholds, "spray_minutes": 50})
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    row = executor.loader.project_state([before]).apps.get_model(
        "security", "DetectionSettings").objects.get(tenant_id=tenant.pk)
    assert (row.brute_force_failures, row.spray_minutes, row.privileged_hours) == (7, 50, "07-19")
    # Back to the latest migrations, not to `after`: later ones (0013's column) must be there
    # for the tests that run next.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
