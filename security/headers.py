"""The headers Django does not set: Permissions-Policy, and no-store on private responses."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control

from m365admin.lib.apipath import is_api


class PermissionsPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.value = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DENY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.value)
        return response


class PrivateNoStoreMiddleware:
    """`Cache-Control: no-store` on what only its caller may see: every API response (tokens,
    tenant data) and every page for a signed-in user, so that neither a shared cache nor the
    browser's back button and history keep a copy. Anonymous pages (the sign-in form) keep
    their own headers.

    After AuthenticationMiddleware; static files, public and served by WhiteNoise before it,
    never reach it. DRF sets a token's user on the request, so JWT calls count as signed in.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_api(request) or request.user.is_authenticated:
            patch_cache_control(response, no_store=True)
        return response
