"""A threat event's details in words: each key the detections write has a label, and each
coded value (reasons, scopes, risk levels, error codes, yes/no) its translated text. Stored
details stay language-neutral; this runs when a page shows them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from m365admin.choices import ClientApp, RiskEventType, RiskLevel, RiskState, graph_words
from m365admin.lib import aadsts
from security.detections.accounts import Reason as PrivilegedReason
from security.detections.countries import Scope
from security.detections.mfa import Reason as WatchedReason


def _choice(*choices: type[models.TextChoices]) -> Callable[[Any], str]:
    labels = {str(c.value): str(c.label) for group in choices for c in group}
    return lambda value: labels.get(str(value), str(value))


def _graph(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    """A Graph value, or a list of them, in words."""
    def show(value: Any) -> str:
        values = value if isinstance(value, list) else [value]
        return ", ".join(graph_words(choices, v) for v in values) or "—"
    return show


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def _error(value: Any) -> str:
    error = aadsts.describe(int(value))
    return f"AADSTS{error.code}: {error.label}" if error.meaning is not None else error.label


def _place(value: Any) -> str:
    parts = [value.get("city"), value.get("country")] if isinstance(value, dict) else [value]
    return ", ".join(str(p) for p in parts if p) or "—"


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return formats.localize(value)  # 12,400 (km)
    return json.dumps(value, ensure_ascii=False)


# key -> (label, how its value reads); in the order a page lists them.
_DETAILS: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "reason": (gettext_lazy("Reason"), _choice(PrivilegedReason, WatchedReason)),
    "scope": (gettext_lazy("Scope"), _choice(Scope)),
    "source": (gettext_lazy("Source"), _plain),
    "country": (gettext_lazy("Country"), _plain),
    "from": (pgettext_lazy("impossible travel", "From"), _place),
    "to": (pgettext_lazy("impossible travel", "To"), _place),
    "distance_km": (gettext_lazy("Distance (km)"), _plain),
    "hours": (gettext_lazy("Hours between"), _plain),
    "speed_kmh": (gettext_lazy("Speed (km/h)"), _plain),
    "anonymized": (gettext_lazy("Anonymising network"), _yes_no),
    "risk_level": (gettext_lazy("Risk during sign-in"), _choice(RiskLevel)),
    "risk_state": (gettext_lazy("Risk state"), _choice(RiskState)),
    "risk_events": (gettext_lazy("Risk events"), _graph(RiskEventType)),
    "succeeded": (gettext_lazy("Succeeded"), _yes_no),
    "error_code": (gettext_lazy("Error code"), _error),
    "app": (gettext_lazy("Application"), _plain),
    "apps": (gettext_lazy("Applications"), _plain),
    "client_app": (gettext_lazy("Client app"), _graph(ClientApp)),
    "clients": (gettext_lazy("Client apps"), _graph(ClientApp)),
    "usual_hours": (gettext_lazy("Usual hours"), _plain),
    "usual_countries": (gettext_lazy("Usual countries"), _plain),
    "threshold": (gettext_lazy("Failures that trigger it"), _plain),
    "window_minutes": (gettext_lazy("Window (minutes)"), _plain),
    "followed_by_success": (gettext_lazy("Followed by a success"), _yes_no),
    "password_accepted": (gettext_lazy("Password accepted"), _yes_no),
    "accounts_with_success": (gettext_lazy("Accounts with a success"), _plain),
    "addresses": (gettext_lazy("Addresses"), _plain),
    "sign_ins": (gettext_lazy("Sign-ins counted"), _plain),
}


def readable(details: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs: known keys in a fixed order, then any newer key as it is spelt."""
    known = [(str(label), show(details[key]))
             for key, (label, show) in _DETAILS.items() if key in details]
    newer = [(key.replace("_", " ").capitalize(), _plain(value))
             for key, value in sorted(details.items()) if key not in _DETAILS]
    return known + newer
