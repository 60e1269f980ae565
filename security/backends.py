"""The sign-in backend: Django's ModelBackend, reading a user's permissions in one query.

Every page and API request checks a permission, and ModelBackend reads them in two queries
(the user's own, then their groups'): about a fifth of what a 1-row API request cost (README,
"API list pages against their floor"). Here one ORM query reads both. Superusers, inactive
and anonymous users, and object permissions are answered by ModelBackend itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if (not user_obj.is_active or user_obj.is_anonymous or obj is not None
                or user_obj.is_superuser):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):  # ModelBackend's cache, for the request
            granted = Permission.objects.filter(
                Q(user=user_obj) | Q(group__user=user_obj),
            ).values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in granted}
        return user_obj._perm_cache  # type: ignore[no-any-return]
