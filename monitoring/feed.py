"""Alert changes (each transition: firing, acknowledged, resolved) as records of the security
feed (m365admin.feed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from m365admin import feed
from m365admin.models import Tenant
from m365admin.models.feed import FeedType

if TYPE_CHECKING:  # monitoring.models publishes transitions through this module
    from monitoring.models import AlertTransition


def publish(transitions: list[AlertTransition]) -> None:
    """Called in the transaction that writes the transitions."""
    if not transitions:
        return
    tenants = Tenant.objects.in_bulk({t.alert.tenant_id for t in transitions} - {None})
    feed.publish([_record(t, tenants.get(t.alert.tenant_id)) for t in transitions])


def _record(step: AlertTransition, tenant: Tenant | None):
    alert, rule = step.alert, step.alert.rule
    return feed.record(
        FeedType.ALERT, alert.code, time=step.at, severity=alert.severity, tenant=tenant,
        status=step.to_status, from_status=step.from_status, rule=rule.name,
        source=rule.source, metric=rule.metric, summary=alert.summary, labels=alert.labels,
        value=alert.value, count=alert.count, first_seen=feed.iso(alert.first_seen),
        incident=rule.is_incident, silenced=alert.silenced,
        actor=step.actor.get_username() if step.actor_id else "", note=step.note,
    )
