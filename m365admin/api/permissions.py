"""API permissions: the same Django model permissions the pages and the admin check."""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions


class ModelViewPermission(DjangoModelPermissions):
    """DjangoModelPermissions, with reads requiring the model's `view` permission too.

    DRF lets any authenticated user read by default; roles here are groups of permissions, so a
    user without `view_signin` must not read sign-ins through the API either.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
