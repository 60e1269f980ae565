"""A user's permissions, their own and their groups', read in one query as ModelBackend
reads them in two."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Group, Permission

from security import roles
from security.backends import ModelBackend


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no permission cache


@pytest.mark.django_db
def test_it_reads_the_users_own_and_their_groups_permissions_in_one_query(
    viewer, django_assert_num_queries
):
    viewer.user_permissions.add(Permission.objects.get(codename="change_alert"))
    Group.objects.create(name="Extra").user_set.add(viewer)
    Group.objects.get(name="Extra").permissions.add(Permission.objects.get(codename="add_silence"))
    user = _fresh(viewer)
    with django_assert_num_queries(1):
        granted = ModelBackend().get_all_permissions(user)
        assert user.has_perm("monitoring.change_alert")  # the same read, kept for the request
    assert {"monitoring.change_alert", "monitoring.add_silence", "m365admin.view_signin"} <= granted
    assert "monitoring.delete_silence" not in granted
    assert granted == DjangoModelBackend().get_all_permissions(_fresh(viewer))


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_gets_what_django_would_give(django_user_model, role):
    user = django_user_model.objects.create_user(f"someone-{role}", password="x" * 20)
    roles.assign(user, role)
    assert ModelBackend().get_all_permissions(_fresh(user)) == \
        DjangoModelBackend().get_all_permissions(_fresh(user))


@pytest.mark.django_db
def test_an_inactive_user_has_no_permission(viewer):
    viewer.is_active = False
    viewer.save()
    assert ModelBackend().get_all_permissions(_fresh(viewer)) == set()
    assert not _fresh(viewer).has_perm("m365admin.view_signin")


@pytest.mark.django_db
def test_a_superuser_has_every_permission(admin):
    assert len(ModelBackend().get_all_permissions(_fresh(admin))) == Permission.objects.count()


@pytest.mark.django_db
def test_a_user_without_role_has_none(outsider):
    assert ModelBackend().get_all_permissions(_fresh(outsider)) == set()
