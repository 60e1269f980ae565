"""Alerts grouped by rule, the worst first: "37 × Sign-in from a new country" is one line on
the dashboard and on /alerts/, expanded on demand, instead of 37 lines hiding an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber

from monitoring.models import Alert, AlertRule
from monitoring.models.alerts import SEVERITY_ORDER, URGENCY, AlertQuerySet


@dataclass
class AlertGroup:
    rule: AlertRule
    severity: str  # the worst of its alerts
    count: int
    latest: datetime  # the last time any of its alerts was seen
    alerts: list[Alert] = field(default_factory=list)  # the first few, worst and newest first


def by_rule(alerts: AlertQuerySet, *, groups: int, per_group: int) -> tuple[list[AlertGroup], int]:
    """The first `groups` groups of `alerts` by their worst severity, then their latest alert,
    each with its first `per_group` alerts; and how many groups there are. Four queries."""
    rows = list(
        alerts.order_by().values("rule")
        .annotate(n=Count("pk"), latest=Max("last_seen"), rank=Max(SEVERITY_ORDER))
        .order_by("-rank", "-latest", "rule")
    )
    shown = rows[:groups]
    if not shown:
        return [], len(rows)
    rules = AlertRule.objects.in_bulk([row["rule"] for row in shown])
    made = {
        row["rule"]: AlertGroup(rules[row["rule"]], "", row["n"], row["latest"]) for row in shown
    }
    # Ranked on the few columns the order needs, then only the chosen rows read in full, by
    # key: the window over whole rows (labels and all) sorted every open alert's wide row, and
    # as a subquery PostgreSQL joined every open alert to find the chosen few.
    chosen = list(
        alerts.filter(rule__in=made).with_severity_rank()
        .annotate(place=Window(RowNumber(), partition_by=[F("rule")],
                               order_by=[F(name.lstrip("-")).desc() for name in URGENCY]))
        .filter(place__lte=per_group).values_list("pk", flat=True)
    )
    first = alerts.filter(pk__in=chosen).with_severity_rank().order_by("rule", *URGENCY)
    for alert in first:
        group = made[alert.rule_id]
        group.alerts.append(alert)
        group.severity = group.severity or alert.severity
    return list(made.values()), len(rows)
