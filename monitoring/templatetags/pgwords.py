"""`{{ row.state|pg_state }}`: a backend's state as pg_stat_activity spells it, in words."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# pg_stat_activity.state (PostgreSQL 13+); a state a newer server adds is shown as it is.
_STATES = {
    "active": _("active"),
    "idle": _("idle"),
    "idle in transaction": _("idle in transaction"),
    "idle in transaction (aborted)": _("idle in transaction (aborted)"),
    "fastpath function call": _("fast-path function call"),
    "disabled": _("not tracked"),
}


@register.filter
def pg_state(value: object) -> str:
    return str(_STATES.get(str(value), value)) if value else ""
