"""Roles are allow-lists: every model that has permissions has a role decision."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission

from security import roles


def _models_with_permissions() -> set[str]:
    """Every installed app's models, third-party ones included (axes, otp, the task queue …)."""
    return {model._meta.label_lower for model in apps.get_models()
            if model._meta.default_permissions or model._meta.permissions}


def test_every_model_with_permissions_has_a_role_decision():
    undecided = _models_with_permissions() - roles.VIEWER_READS - roles.ADMINISTRATORS_ONLY
    assert not undecided, (
        f"no role decision for {sorted(undecided)}: add each to VIEWER_READS (Viewers read it) "
        "or ADMINISTRATORS_ONLY in security/roles.py")


def test_no_model_is_both_read_by_viewers_and_for_administrators_only():
    assert not roles.VIEWER_READS & roles.ADMINISTRATORS_ONLY


def test_the_decisions_name_only_models_that_exist():
    decided = roles.VIEWER_READS | roles.ADMINISTRATORS_ONLY | set(roles.OPERATOR_ALSO)
    assert decided <= _models_with_permissions()


def test_operators_change_only_what_they_can_read():
    assert set(roles.OPERATOR_ALSO) <= roles.VIEWER_READS


@pytest.mark.django_db
def test_a_viewer_gets_exactly_the_listed_reads():
    granted = {f"{app}.{codename.removeprefix('view_')}" for app, codename in
               roles.permissions(roles.VIEWER).values_list("content_type__app_label", "codename")}
    assert granted == roles.VIEWER_READS


@pytest.mark.django_db
def test_an_operator_gets_the_reads_and_the_listed_actions_only():
    operator = set(roles.permissions(roles.OPERATOR))
    viewer = set(roles.permissions(roles.VIEWER))
    extra = {f"{p.content_type.app_label}.{p.content_type.model}:{p.codename}"
             for p in operator - viewer}
    assert extra == {"monitoring.alert:change_alert", "monitoring.silence:add_silence",
                     "monitoring.silence:change_silence", "monitoring.silence:delete_silence",
                     "security.securityevent:change_securityevent",
                     "security.detectionexception:add_detectionexception",
                     "security.detectionexception:change_detectionexception"}


@pytest.mark.django_db
def test_an_administrator_has_every_permission():
    assert roles.permissions(roles.ADMINISTRATOR).count() == Permission.objects.count()


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="unknown role 'Auditor'"):
        roles.permissions("Auditor")
