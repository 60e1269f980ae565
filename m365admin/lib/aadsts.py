"""What the common Entra ID sign-in error codes (AADSTS) mean, in words an operator reads.

A small table of the codes seen most in sign-in logs; an unknown code is shown as the bare
code, with the same documentation link (Microsoft's lookup page explains every code).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Microsoft's own lookup page: it answers for any code, so even unknown ones get a link.
_LOOKUP_URL = "https://login.microsoftonline.com/error?code={code}"

_MEANINGS: dict[int, Promise] = {
    0: _("Sign-in succeeded"),
    16000: _("The account has to be chosen: several are signed in"),
    50034: _("The account does not exist in this directory"),
    50053: _("Account locked: too many failed attempts, or sign-in from a blocked address"),
    50055: _("The password has expired"),
    50056: _("No password is stored for this user"),
    50057: _("The account is disabled"),
    50058: _("The session has no signed-in user (silent sign-in failed)"),
    50072: _("The user must register for multi-factor authentication"),
    50074: _("Multi-factor authentication is required"),
    50076: _("Multi-factor authentication is required (location or policy changed)"),
    50079: _("The user must enrol in multi-factor authentication"),
    50097: _("Device authentication is required"),
    50105: _("The user is not assigned to this application"),
    50125: _("Sign-in was interrupted (password reset or registration)"),
    50126: _("Wrong user name or password"),
    50133: _("The session is no longer valid: the password changed"),
    50140: _("\"Stay signed in?\" was shown to the user"),
    50158: _("An external security challenge was not satisfied"),
    51004: _("The user account does not exist in the directory"),
    53000: _("Conditional Access requires a compliant or joined device"),
    53001: _("Conditional Access requires a domain-joined device"),
    53003: _("Blocked by Conditional Access"),
    53004: _("The user must complete multi-factor registration first"),
    65001: _("The application has no consent to the permissions it asks for"),
    70008: _("The authorisation code or refresh token has expired"),
    70043: _("The refresh token expired because of Conditional Access sign-in frequency"),
    81010: _("Seamless single sign-on failed: the Kerberos ticket is not valid"),
    90094: _("An administrator has to consent to this application"),
    500011: _("The resource application was not found in this tenant"),
    500121: _("Strong authentication failed or was cancelled"),
    530032: _("Blocked by a security policy"),
    700016: _("The application was not found in this directory"),
}


@dataclass(frozen=True)
class ErrorCode:
    """A sign-in's error code, its meaning when known (None otherwise), and where to read more."""

    code: int
    meaning: Promise | None

    @property
    def doc_url(self) -> str:
        return _LOOKUP_URL.format(code=self.code)

    @property
    def label(self) -> str:
        """The meaning, or the bare code when it is not in the table."""
        return str(self.meaning) if self.meaning is not None else f"AADSTS{self.code}"


def describe(code: int) -> ErrorCode:
    return ErrorCode(code, _MEANINGS.get(code))
