"""The sign-in backend: Django's ModelBackend, reading a user's permissions in one query.

Every page and API request checks a permission, and ModelBackend reads them in two queries
(the user's own, then their groups'), each composed by the ORM anew: about a fifth of what a
1-row API request cost (README, "API list pages against their floor"). Here one statement,
written once per process from the models' tables, reads both. Superusers, inactive and
anonymous users are answered as ModelBackend answers them.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import ManyToManyField, Model


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if (not user_obj.is_active or user_obj.is_anonymous or obj is not None
                or user_obj.is_superuser):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):  # ModelBackend's cache, for the request
            with connection.cursor() as cursor:
                cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app_label}.{codename}"
                                        for app_label, codename in cursor.fetchall()}
        return user_obj._perm_cache  # type: ignore[no-any-return]


@functools.cache
def _permissions_sql() -> str:
    """("app_label", "codename") of the permissions a user holds directly or through a group;
    parameters: the user's pk, twice."""
    q = connection.ops.quote_name
    own, own_user, own_permission = _m2m(get_user_model(), "user_permissions")
    member, member_user, member_group = _m2m(get_user_model(), "groups")
    granted, granted_group, granted_permission = _m2m(Group, "permissions")
    return (
        f"SELECT ct.{q('app_label')}, p.{q('codename')} "
        f"FROM {q(Permission._meta.db_table)} p "
        f"JOIN {q(ContentType._meta.db_table)} ct ON ct.{q('id')} = p.{q('content_type_id')} "
        f"WHERE p.{q('id')} IN (SELECT {q(own_permission)} FROM {q(own)} "
        f"WHERE {q(own_user)} = %s) "
        f"OR p.{q('id')} IN (SELECT gp.{q(granted_permission)} FROM {q(granted)} gp "
        f"JOIN {q(member)} ug ON ug.{q(member_group)} = gp.{q(granted_group)} "
        f"WHERE ug.{q(member_user)} = %s)"
    )


def _m2m(model: type[Model], name: str) -> tuple[str, str, str]:
    """(table, column of `model`'s side, column of the other side) of a many-to-many field."""
    field = model._meta.get_field(name)
    assert isinstance(field, ManyToManyField)
    return field.m2m_db_table(), field.m2m_column_name(), field.m2m_reverse_name()
