"""Moving many alerts at once with one note (the admin's actions, the bulk form on /alerts/):
each alert through its own model method, and the outcome in one line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from monitoring.choices import AlertStatus
from monitoring.models import Alert
from monitoring.models.alerts import AlertConflict

MOVES: dict[str, Callable[..., None]] = {"acknowledge": Alert.acknowledge,
                                         "resolve": Alert.resolve}


def apply(name: str, alerts: Iterable[Alert], user, note: str) -> tuple[str, bool]:
    """Acknowledge or resolve each alert; returns the report, e.g. "3 acknowledged; 2 were
    already resolved". An alert that may not move is counted, never half-moved."""
    moved, conflicts = 0, Counter()
    for alert in alerts:
        try:
            MOVES[name](alert, user, note)
            moved += 1
        except AlertConflict as conflict:
            conflicts[_conflict_kind(alert, conflict)] += 1
    return report(name, moved, conflicts), bool(conflicts)


def _conflict_kind(alert: Alert, conflict: AlertConflict) -> str:
    """What the report says of an alert that did not move: its status, or why it may not."""
    if conflict.reason != "status":
        return conflict.reason
    now = Alert.objects.filter(pk=alert.pk).values_list("status", flat=True).first()
    return AlertStatus(now).label.lower() if now else _("deleted")


def report(name: str, moved: int, conflicts: Counter) -> str:
    """The outcome in one line, e.g. "3 acknowledged; 2 were already resolved"."""
    if name == "acknowledge":
        done = ngettext("%(count)d acknowledged", "%(count)d acknowledged", moved)
    else:
        done = ngettext("%(count)d resolved", "%(count)d resolved", moved)
    parts = [done % {"count": moved}]
    for status, count in sorted(conflicts.items()):
        if status == "holds":
            text = ngettext("%(count)d still firing (it resolves by itself once its condition "
                            "clears)", "%(count)d still firing (they resolve by themselves once "
                            "their condition clears)", count)
        elif status == "note":
            text = ngettext("%(count)d incident needs a note", "%(count)d incidents need a note",
                            count)
        else:
            text = ngettext("%(count)d was already %(status)s",
                            "%(count)d were already %(status)s", count)
        parts.append(text % {"count": count, "status": status})
    return "; ".join(parts)
