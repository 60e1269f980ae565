"""JWT endpoints for integrations: obtain, refresh (rotating) and revoke, audited.

A refresh token works once: refreshing blacklists it and returns a new one. Presenting a
blacklisted one again means it was copied, so every refresh token of that user is revoked
and a critical security event is recorded (the thief and the owner both have to sign in again).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

from m365admin import audit
from security import events, lockout, otp
from security.choices import EventKind


def _validated(view, request):
    serializer = view.get_serializer(data=request.data)
    try:
        serializer.is_valid(raise_exception=True)
    except TokenError as exc:
        raise InvalidToken(exc.args[0]) from None
    return serializer


class TokenRequestSerializer(serializers.Serializer):
    """What ObtainTokenView reads (simplejwt's serializer plus the second factor)."""

    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    otp = serializers.CharField(required=False, help_text=(
        "The authenticator app's current code, for accounts with two-factor sign-in."))


class ObtainTokenView(TokenObtainPairView):
    """POST username and password: an access token (1 h) and a refresh token."""

    @extend_schema(
        request=TokenRequestSerializer,
        examples=[OpenApiExample("With a second factor", request_only=True, value={
            "username": "integration", "password": "…", "otp": "123456"})],
    )
    def post(self, request, *args, **kwargs):
        try:
            serializer = _validated(self, request)
        except AuthenticationFailed:
            # django-axes refused or just locked this username+IP: say so, with Retry-After,
            # instead of an endless 401 (DESIGN.md "Facts checked").
            if getattr(request, "axes_locked_out", False):
                raise lockout.token_throttled() from None
            raise
        _second_factor(request, serializer.user)
        audit.record("auth.token_issued", serializer.user, user=serializer.user)
        return Response(serializer.validated_data)


class RefreshTokenView(TokenRefreshView):
    """POST a refresh token: a new access token and a new refresh token (the old one dies)."""

    def post(self, request, *args, **kwargs):
        try:
            serializer = _validated(self, request)
        except InvalidToken:
            _revoke_family_if_reused(request, request.data.get("refresh"))
            raise
        return Response(serializer.validated_data)


class RevokeTokenView(TokenBlacklistView):
    """POST a refresh token to revoke it (signing an integration out)."""

    @extend_schema(responses=OpenApiResponse(OpenApiTypes.OBJECT,
                                             description="Revoked: an empty object."))
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        audit.record("auth.token_revoked", _user_of(request.data.get("refresh")) or "")
        return response


def _second_factor(request, user) -> None:
    """A token is a sign-in: whoever the browser asks for a code must give one here too."""
    step = otp.pending_step(user)
    if step is None:
        return
    if step == otp.Step.SETUP:
        raise PermissionDenied(_("Set up two-factor authentication in the browser first, then "
                                 "ask for a token with the app's code in \"otp\"."))
    code = request.data.get("otp")
    outcome = otp.verify(user, code if isinstance(code, str) else "", recovery=False)
    if outcome.locked_until is not None:
        raise Throttled(wait=outcome.wait_seconds(),
                        detail=_("Too many wrong codes; wait, then try again."))
    if outcome.device is None:
        audit.record("auth.2fa_failed", user, {"via": "token"}, user=user)
        events.record(EventKind.LOGIN_FAILED, request=request, username=user.get_username(),
                      factor="totp")
        raise AuthenticationFailed(_("Give the current code from your authenticator app in "
                                     "\"otp\"."), code="otp_required")


def _payload(token: object) -> dict | None:
    if not isinstance(token, str):
        return None
    try:
        return RefreshToken(token, verify=False).payload
    except TokenError:
        return None


def _user_of(token: object):
    payload = _payload(token)
    outstanding = OutstandingToken.objects.filter(jti=(payload or {}).get("jti")).first()
    return outstanding.user if outstanding else None


def _revoke_family_if_reused(request, token: object) -> None:
    payload = _payload(token)
    if not payload or not BlacklistedToken.objects.filter(token__jti=payload.get("jti")).exists():
        return  # expired, malformed or forged: an ordinary 401
    owner = OutstandingToken.objects.get(jti=payload["jti"]).user
    live = OutstandingToken.objects.filter(user=owner, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in live])
    events.record(EventKind.TOKEN_REUSE, request=request,
                  username=owner.get_username() if owner else "", revoked=len(live))
    audit.record("auth.token_reuse", owner or "", {"revoked": len(live)})
