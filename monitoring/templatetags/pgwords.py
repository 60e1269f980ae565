"""`{{ row.state|pg_state }}`: a backend's state as pg_stat_activity spells it, in words."""

from __future__ import annotations

from django import template

from monitoring.dbconsole.insight import state_words

register = template.Library()
register.filter("pg_state", state_words)
