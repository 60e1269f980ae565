"""The two-factor pages: verify after signing in, set up, recovery codes, manage and remove.

Signing in stays Django's LoginView; TwoFactorMiddleware then sends a session that owes a
second factor here (security.otp.pending_step) before it may open anything else.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from m365admin import audit
from security import events, otp
from security.choices import EventKind
from security.forms import CodeForm

# Session key of the recovery codes just made, shown once by `recovery_codes`.
_NEW_CODES = "two_factor_new_codes"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user, next_url = request.user, _next(request)
    step = None if user.is_verified() else otp.pending_step(user)
    if step is None:
        return redirect(next_url)
    if step == otp.Step.SETUP:
        return redirect(_with_next(reverse("two_factor:setup"), next_url))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        outcome = otp.verify(user, form.cleaned_data["code"])
        if outcome.device is not None:
            otp.mark_verified(request, outcome.device)
            audit.record("auth.2fa_verified", user,
                         {"method": "recovery_code" if outcome.recovery else "totp"})
            if outcome.recovery:
                left = otp.recovery_codes_left(user)
                audit.record("auth.recovery_code_used", user, {"left": left})
                messages.warning(request, ngettext(
                    "You signed in with a recovery code; %(count)d code is left.",
                    "You signed in with a recovery code; %(count)d codes are left.", left,
                ) % {"count": left})
            return redirect(next_url)
        _failed(request, outcome, during="sign-in")
        form.add_error("code", _refusal(outcome))
    return render(request, "security/twofactor_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user, next_url = request.user, _next(request)
    if otp.totp_device(user) is not None:
        # One device at a time: remove it first (which needs this session verified).
        return redirect("two_factor:manage")
    device = otp.pending_device(user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        outcome, codes = otp.confirm(device, form.cleaned_data["code"])
        if outcome.device is not None:
            otp.mark_verified(request, outcome.device)
            audit.record("auth.2fa_enrolled", user, {"recovery_codes": len(codes)})
            request.session[_NEW_CODES] = codes
            return redirect(_with_next(reverse("two_factor:recovery-codes"), next_url))
        form.add_error("code", _refusal(outcome))
    return render(request, "security/twofactor_setup.html", {
        "form": form, "next": next_url, "qr": otp.qr_data_uri(device),
        "secret": otp.secret_text(device), "required": otp.pending_step(user) is not None,
    })


@never_cache
@login_required
@require_http_methods(["GET"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(_NEW_CODES, None)
    if not codes:
        return redirect("two_factor:manage")
    return render(request, "security/twofactor_recovery_codes.html",
                  {"codes": codes, "next": _next(request)})


@never_cache
@login_required
@require_http_methods(["GET"])
def manage(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = otp.totp_device(user)
    administrator = otp.is_administrator(user)
    return render(request, "security/twofactor_manage.html", {
        "device": device,
        "codes_left": otp.recovery_codes_left(user) if device else 0,
        "required": administrator and settings.OTP_REQUIRED_FOR_ADMINISTRATORS,
        # Administrators prove the device once more, so a borrowed session cannot drop it.
        "form": CodeForm() if administrator else None,
    })


@login_required
@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    user = request.user
    if otp.totp_device(user) is None:
        return redirect("two_factor:manage")
    if otp.is_administrator(user):
        form = CodeForm(request.POST)
        outcome = (otp.verify(user, form.cleaned_data["code"], recovery=False)
                   if form.is_valid() else otp.Outcome())
        if outcome.device is None:
            _failed(request, outcome, during="removal")
            messages.error(request, _refusal(outcome))
            return redirect("two_factor:manage")
    otp.remove(user)
    otp.forget_verification(request)
    audit.record("auth.2fa_removed", user)
    messages.success(request, _("Two-factor authentication is off for your account."))
    return redirect("two_factor:manage")


# Helpers -----------------------------------------------------------------------------------


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _next(request: HttpRequest) -> str:
    """Where to go once done: a local `next`, else the page after signing in."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _refusal(outcome: otp.Outcome) -> str:
    if outcome.locked_until is not None:
        seconds = outcome.wait_seconds()
        return ngettext(
            "Too many wrong codes. Wait %(seconds)d second, then try again.",
            "Too many wrong codes. Wait %(seconds)d seconds, then try again.", seconds,
        ) % {"seconds": seconds}
    return _("That code is not valid. Codes change every 30 seconds: check the clock on your "
             "phone and enter the newest one.")


def _failed(request: HttpRequest, outcome: otp.Outcome, *, during: str) -> None:
    user = request.user
    audit.record("auth.2fa_failed", user,
                 {"during": during, "throttled": outcome.locked_until is not None})
    events.record(EventKind.LOGIN_FAILED, request=request, username=user.get_username(),
                  factor="totp")
