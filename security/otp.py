"""Two-factor sign-in with django-otp: who owes a second factor, enrolment, codes, removal.

A user has at most one confirmed TOTP device (an authenticator app) and one static device that
holds their recovery codes. Whoever has a confirmed TOTP device proves it after each password
sign-in; an Administrator without one must enrol first (OTP_REQUIRED_FOR_ADMINISTRATORS).
django-otp keeps the device that verified a session under DEVICE_ID_SESSION_KEY, throttles
failures per device (OTP_TOTP_THROTTLE_FACTOR, doubling waits) and refuses a TOTP code twice.

The views, both middlewares and the test helper come here instead of reaching into django-otp.
"""

from __future__ import annotations

import enum
import math
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import roles

RECOVERY_CODE_COUNT = 10


class Step(enum.StrEnum):
    """What a signed-in but unverified session must do before anything else."""

    VERIFY = "verify"
    SETUP = "setup"


@dataclass(frozen=True)
class Outcome:
    """The answer to a code: the device that accepted it, or why none did."""

    device: Device | None = None
    locked_until: datetime | None = None  # throttled: no code is even checked before then

    @property
    def recovery(self) -> bool:
        return isinstance(self.device, StaticDevice)

    def wait_seconds(self) -> int:
        if self.locked_until is None:
            return 0
        return max(1, math.ceil((self.locked_until - timezone.now()).total_seconds()))


# Who owes what -----------------------------------------------------------------------------


def pending_step(user) -> Step | None:
    """What `user` must do first when their session is not verified; None: nothing.

    One query, since the middleware asks on every request of an unverified session.
    """
    if not user.is_authenticated:
        return None
    has_device, administrator = get_user_model().objects.filter(pk=user.pk).values_list(
        Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        # roles.role_of(user) == ADMINISTRATOR, folded into the same query.
        Exists(Group.objects.filter(user=OuterRef("pk"), name=roles.ADMINISTRATOR)),
    ).first() or (False, False)
    if has_device:
        return Step.VERIFY
    if settings.OTP_REQUIRED_FOR_ADMINISTRATORS and (user.is_superuser or administrator):
        return Step.SETUP
    return None


def is_administrator(user) -> bool:
    return roles.role_of(user) == roles.ADMINISTRATOR


def session_device(session, user) -> Device | None:
    """The confirmed device of `user` that verified this session (websockets have no
    OTPMiddleware to say so)."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def mark_verified(request, device: Device) -> None:
    """Record in the session that `device` verified it: a new session key, as at sign-in."""
    request.session.cycle_key()
    otp_login(request, device)


def forget_verification(request) -> None:
    request.session.pop(DEVICE_ID_SESSION_KEY, None)


# Enrolment ---------------------------------------------------------------------------------


def pending_device(user) -> TOTPDevice:
    """The user's device awaiting its first code; the same secret until it is confirmed, so a
    reload does not invalidate what the app already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app",
                                               confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI (the CSP allows data: images and no
    inline markup with styles)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4,
                                                                 light="#fff")


def confirm(device: TOTPDevice, token: str) -> tuple[Outcome, list[str]]:
    """Confirm `device` with its current code; then the user's recovery codes are new."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        outcome = _check(device, _normalised(token))
        if outcome.device is None:
            return outcome, []
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Any other device (a second setup tab, an old phone) stops counting.
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        return outcome, new_recovery_codes(device.user)


def new_recovery_codes(user) -> list[str]:
    """Ten new single-use codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def remove(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# Codes -------------------------------------------------------------------------------------


def verify(user, token: str, *, recovery: bool = True) -> Outcome:
    """Check a 6-digit code from the app, or (when `recovery`) a recovery code, which is
    used up. Each device throttles its own failures."""
    token = _normalised(token)
    with transaction.atomic():
        if token.isdigit():
            model = TOTPDevice
        elif recovery:
            model = StaticDevice
        else:
            return Outcome()
        device = (model.objects.select_for_update()
                  .filter(user=user, confirmed=True).order_by("pk").first())
        return _check(device, token) if device is not None else Outcome()


def _check(device: Device, token: str) -> Outcome:
    allowed, why = device.verify_is_allowed()
    if not allowed:
        return Outcome(locked_until=(why or {}).get("locked_until") or timezone.now())
    return Outcome(device=device) if device.verify_token(token) else Outcome()


def _normalised(token: str) -> str:
    # Apps show "123 456"; recovery codes are typed in any case, perhaps with a dash.
    return "".join(token.split()).replace("-", "").lower()
