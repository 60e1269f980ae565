"""Rule evaluation, once per tick: observations in, alerts deduplicated, fired and resolved.

An observation is (source, metric, labels, value). Each enabled rule looks at the
observations of its source and metric (and tenant); per fingerprint (rule + labels) there is
at most one unresolved alert:
- the condition holds: a pending alert starts, and fires once it has held `for_seconds`; a firing
  one gets its count, last seen and current value updated (no new rows);
- the condition clears past the hysteresis: a pending alert is dropped, a firing or
  acknowledged one resolves by itself;
- in between (inside the hysteresis band): only the current value and last seen change;
- no observation this tick: nothing changes.
Incident rules (security events) differ: an occurrence opens a firing alert at once, and it
stays open until a person resolves it; an occurrence after that opens a new alert linked to the
resolved one, while the occurrences it already covered open nothing (docs/monitoring.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from m365admin import audit
from m365admin.choices import (
    EXCHANGE_SERVICE_ID,
    SEVERITY,
    SEVERITY_RANK,
    AlertSource,
    Severity,
)
from m365admin.registry import alert_sources
from m365admin.registry.alert_sources import Observation
from monitoring import feed as alert_feed
from monitoring import notify
from monitoring.choices import OPEN_STATUSES, AlertStatus, NotificationEvent
from monitoring.messages import Tick
from monitoring.models import Alert, AlertRule, AlertTransition, Silence
from monitoring.models.alerts import (
    AlertConflict,
    acting_person,
    disabled_note,
    fingerprint_of,
    labels_text,
)


def observe(tick: Tick) -> list[Observation]:
    """Everything the rules can look at this tick: the tick's figures and what every
    registered source reports (a few small queries each)."""
    found = []
    if (metrics := tick.metrics) is not None:
        for name, value in (("cpu", metrics.cpu), ("memory", metrics.memory),
                            ("swap", metrics.swap), ("disk", metrics.disk)):
            if value is not None:
                found.append(Observation(AlertSource.METRIC, name, {}, float(value)))
    for health in tick.health:
        found.append(Observation(
            AlertSource.COMPONENT, health.component, {"component": health.component},
            float(SEVERITY[health.status]),
        ))
    if (requests := tick.requests) is not None and requests.count:
        for name, value in (("p95", requests.p95), ("p99", requests.p99),
                            ("error_rate", requests.error_rate)):
            if value is not None:
                found.append(Observation(AlertSource.REQUESTS, name, {}, float(value)))
    for source in alert_sources.sources():
        found += source()
    return found


@dataclass
class _Changes:
    """What one evaluation writes, grouped so that it takes a few statements, not one per
    alert: persisting conditions with the same value share one UPDATE."""

    created: list[Alert] = field(default_factory=list)
    # Incidents open firing: notified once saved (their ids come with the insert).
    opened: list[Alert] = field(default_factory=list)
    # (value, silenced, counts as seen again) -> alert ids whose condition persists
    seen: dict[tuple[float, bool, bool], list[int]] = field(default_factory=dict)
    fired: list[int] = field(default_factory=list)
    resolved: dict[float, list[int]] = field(default_factory=dict)
    dropped: list[int] = field(default_factory=list)
    silenced: dict[bool, list[int]] = field(default_factory=dict)  # muted or heard again
    transitions: list[AlertTransition] = field(default_factory=list)

    def save(self, now: datetime) -> None:
        Alert.objects.bulk_create(self.created + self.opened)
        self.fired += [alert.pk for alert in self.opened]
        for (value, silenced, counted), ids in self.seen.items():
            extra = {"count": F("count") + 1} if counted else {}
            Alert.objects.filter(pk__in=ids).update(
                value=value, silenced=silenced, last_seen=now, **extra
            )
        Alert.objects.filter(pk__in=self.fired).update(status=AlertStatus.FIRING, fired=now)
        for value, ids in self.resolved.items():
            Alert.objects.filter(pk__in=ids).update(
                status=AlertStatus.RESOLVED, resolved=now, value=value
            )
        Alert.objects.filter(pk__in=self.dropped).delete()
        for silenced, ids in self.silenced.items():
            Alert.objects.filter(pk__in=ids).update(silenced=silenced)
        AlertTransition.objects.bulk_create(self.transitions)
        alert_feed.publish(self.transitions)
        for step in self.transitions:
            action = "fire" if step.to_status == AlertStatus.FIRING else "clear"
            audit.record(f"alert.{action}", step.alert,
                         {"from": step.from_status, "to": step.to_status, "note": step.note})


# What the evaluation reads of an unresolved alert (and its audit entries: the summary).
_EVALUATED = ("id", "rule_id", "fingerprint", "labels", "tenant_id", "status", "first_seen",
              "silenced", "summary")


def evaluate(observations: list[Observation], now: datetime | None = None) -> None:
    """Apply every enabled rule to the observations, in one transaction."""
    now = now or timezone.now()
    by_kind: dict[tuple[str, str], list[tuple[Observation, str]]] = {}
    for seen in observations:
        by_kind.setdefault((seen.source, seen.metric), []).append((seen, labels_text(seen.labels)))
    changes = _Changes()
    with transaction.atomic():
        alerts = list(Alert.objects.select_for_update()
                      .exclude(status=AlertStatus.RESOLVED).only(*_EVALUATED))
        # Each rule once, not once per alert (a join would build one per row).
        rules_by_id = {rule.pk: rule for rule in AlertRule.objects.all()}
        unresolved = {}
        for alert in alerts:
            alert.rule = rules_by_id[alert.rule_id]
            unresolved[alert.fingerprint] = alert
        # A rule disabled without AlertRule.save (a bulk update) closes its alerts here.
        for rule in {alert.rule for alert in unresolved.values() if not alert.rule.enabled}:
            close_alerts_of_disabled_rule(rule, now)
        unresolved = {key: alert for key, alert in unresolved.items() if alert.rule.enabled}
        rules = [rule for rule in rules_by_id.values() if rule.enabled]
        # Read once the alerts are locked: a silence made meanwhile (Silence.create marks its
        # alerts, so this lock waited for it to commit) is seen, and one that started after
        # `now` counts already. Read before, it was undone until the next tick, and the page
        # its author was sent back to showed no badge.
        silences = list(Silence.objects.filter(starts__lte=max(now, timezone.now()),
                                               ends__gt=now))
        pairs = [
            (rule, seen, fingerprint_of(code, labels))
            for rule in rules for code in [str(rule.code)]
            for seen, labels in by_kind.get((rule.source, rule.metric), [])
            if rule.tenant_id is None or seen.tenant_id == rule.tenant_id
        ]
        resolved = _last_resolved(pairs, unresolved)
        for rule, seen, key in pairs:
            alert = unresolved.pop(key, None)
            if rule.is_incident:
                _apply_incident(rule, seen, key, alert, resolved, silences, now, changes)
            else:
                _apply(rule, seen, key, alert, silences, now, changes)
        _clear_unobserved(unresolved.values(), silences, now, changes)
        _follow_silences(unresolved.values(), silences, changes)
        changes.save(now)
        inhibit()
        for event, ids in ((NotificationEvent.FIRING, changes.fired),
                           (NotificationEvent.RESOLVED, [i for group in changes.resolved.values()
                                                         for i in group])):
            if ids:
                notify.enqueue(event, list(Alert.objects.filter(pk__in=ids).select_related("rule")),
                               now)


def close_alerts_of_disabled_rule(rule: AlertRule, now: datetime | None = None) -> None:
    """A disabled rule watches nothing: its pending alerts go, its open ones are resolved
    with a note naming who disabled it (audited, like any resolution) and receivers are told."""
    note, person = disabled_note("Rule"), acting_person()
    Alert.objects.filter(rule=rule, status=AlertStatus.PENDING).delete()
    closed = []
    for alert in Alert.objects.open().filter(rule=rule).select_related("rule", "tenant"):
        try:
            alert.resolve(person, note)
        except AlertConflict:
            continue  # resolved meanwhile by someone else
        closed.append(alert)
    notify.enqueue(NotificationEvent.RESOLVED, closed, now)


# Sources that only report what is wrong (failing collectors, subscriptions needing
# attention, secrets about to expire) or what still exists (enabled channels): no observation
# for an open alert's labels means its condition is over. Incidents are never cleared this way.
SPARSE_SOURCES = (AlertSource.SYNC, AlertSource.SUBSCRIPTION, AlertSource.CLIENT_SECRET,
                  AlertSource.NOTIFICATION)


def _follow_silences(alerts, silences, changes: _Changes) -> None:
    """Alerts not observed this tick (an open incident, a component no longer reported) are
    still muted when a silence starts and heard again when it ends."""
    for alert in alerts:
        if alert.rule.source in SPARSE_SOURCES:
            continue  # _clear_unobserved has applied them
        silenced = any(s.matches(alert.rule_id, alert.labels) for s in silences)
        if silenced != alert.silenced:
            changes.silenced.setdefault(silenced, []).append(alert.pk)


def _last_resolved(pairs, unresolved) -> dict[str, Alert]:
    """The latest resolved alert of each incident observed without an open one: what a new
    occurrence links to, and what tells an old occurrence from a new one."""
    keys = {key for rule, _seen, key in pairs if rule.is_incident} - unresolved.keys()
    latest: dict[str, Alert] = {}
    if keys:
        for alert in (Alert.objects.filter(fingerprint__in=keys, status=AlertStatus.RESOLVED)
                      .only("pk", "fingerprint", "resolved").order_by("resolved")):
            latest[alert.fingerprint] = alert
    return latest


def _apply_incident(rule, seen: Observation, key: str, alert: Alert | None,
                    resolved: dict[str, Alert], silences, now, changes: _Changes) -> None:
    """An occurrence opens a firing alert (no `for`: it has happened) or adds to the open one;
    it never clears. Occurrences recorded before the last resolution are already dealt with."""
    if not rule.breached(seen.value):
        return
    silenced = any(s.matches(rule.pk, seen.labels) for s in silences)
    if alert is not None:
        changes.seen.setdefault((seen.value, silenced, True), []).append(alert.pk)
        return
    previous = resolved.get(key)
    if previous is not None and (seen.at is None or seen.at <= previous.resolved):
        return
    opened = Alert(
        rule=rule, fingerprint=key, labels=seen.labels, tenant_id=seen.tenant_id,
        status=AlertStatus.FIRING, severity=rule.severity, value=seen.value,
        summary=_summary(rule, seen), first_seen=now, last_seen=now, fired=now,
        silenced=silenced, previous=previous,
    )
    changes.opened.append(opened)
    changes.transitions.append(AlertTransition(
        alert=opened, from_status="", to_status=AlertStatus.FIRING, at=now,
    ))


def _clear_unobserved(alerts, silences, now, changes: _Changes) -> None:
    for alert in alerts:
        rule = alert.rule
        if rule.source in SPARSE_SOURCES and rule.enabled:
            quiet = Observation(rule.source, rule.metric, alert.labels, 0.0, alert.tenant_id)
            _apply(rule, quiet, alert.fingerprint, alert, silences, now, changes)


def _apply(rule, seen: Observation, key: str, alert: Alert | None, silences, now,
           changes: _Changes) -> None:
    silenced = any(s.matches(rule.pk, seen.labels) for s in silences)
    if alert is None:
        if rule.breached(seen.value):
            # A new condition is pending: `for` is at least a second, so it cannot fire yet.
            changes.created.append(Alert(
                rule=rule, fingerprint=key, labels=seen.labels, tenant_id=seen.tenant_id,
                status=AlertStatus.PENDING, severity=rule.severity, value=seen.value,
                summary=_summary(rule, seen), first_seen=now, last_seen=now, silenced=silenced,
            ))
        return
    if rule.breached(seen.value):
        pending = alert.status == AlertStatus.PENDING
        changes.seen.setdefault((seen.value, silenced, not pending), []).append(alert.pk)
        if pending and (now - alert.first_seen).total_seconds() >= rule.for_seconds:
            changes.fired.append(alert.pk)
            changes.transitions.append(AlertTransition(
                alert=alert, from_status=AlertStatus.PENDING, to_status=AlertStatus.FIRING, at=now,
            ))
    elif rule.cleared(seen.value):
        if alert.status == AlertStatus.PENDING:
            changes.dropped.append(alert.pk)  # it never fired: nothing to tell anyone
            return
        changes.resolved.setdefault(seen.value, []).append(alert.pk)
        changes.transitions.append(AlertTransition(
            alert=alert, from_status=alert.status, to_status=AlertStatus.RESOLVED, at=now,
            note=f"cleared: {_value_text(seen)}",
        ))
    else:
        # Inside the hysteresis band: no longer breached, not yet cleared. The value is kept
        # current, so that a person may resolve it (Alert.still_holds) but it does not flap.
        changes.seen.setdefault((seen.value, silenced, False), []).append(alert.pk)


def _summary(rule: AlertRule, seen: Observation) -> str:
    """Fixed when the alert starts (the current value has its own field)."""
    where = ", ".join(f"{k}={v}" for k, v in sorted(seen.labels.items()) if k != "tenant")
    return rule.name + (f" ({where})" if where else "")


def _value_text(seen: Observation) -> str:
    return f"{seen.metric} {seen.value:g}"


# An open alert that explains others holds them back and links them to it, so one outage
# sends one alert, not fifty: a component that is down explains the alerts about what depends
# on it, and Microsoft's own report of Exchange Online (the service-health alert, per tenant,
# which fires first) explains our Exchange component's alert, which is read from that report.
DOWN = float(SEVERITY["down"])
INHIBITIONS: list[tuple[Q, Q]] = [  # (the explaining alert, the alerts it explains)
    (Q(rule__source=AlertSource.COMPONENT, rule__metric="database", value__gte=DOWN),
     Q(rule__source__in=[AlertSource.REQUESTS, AlertSource.SYNC])
     | Q(rule__source=AlertSource.COMPONENT, rule__metric__in=["api", "auth"])),
    # Not M365 service health: what Microsoft reports is not caused by our reaching Graph.
    (Q(rule__source=AlertSource.COMPONENT, rule__metric="graph", value__gte=DOWN),
     Q(rule__source=AlertSource.SYNC)
     | Q(rule__source=AlertSource.COMPONENT, rule__metric__in=["exchange", "auth"])),
    (Q(rule__source=AlertSource.SERVICE_HEALTH, labels__service=EXCHANGE_SERVICE_ID),
     Q(rule__source=AlertSource.COMPONENT, rule__metric="exchange")),
]


def inhibit() -> None:
    """Link the alerts an open explaining alert explains to it; release the others."""
    unresolved = Alert.objects.exclude(status=AlertStatus.RESOLVED)
    for explaining, explained in INHIBITIONS:
        parent = (Alert.objects.filter(explaining, status__in=OPEN_STATUSES)
                  .order_by("first_seen", "id").first())
        if parent is not None:
            unresolved.filter(explained, inhibited_by__isnull=True).exclude(pk=parent.pk).update(
                inhibited_by=parent
            )
    unresolved.filter(inhibited_by__isnull=False).exclude(
        inhibited_by__status__in=OPEN_STATUSES
    ).update(inhibited_by=None)


def open_counts() -> dict[str, int]:
    """Open alerts by severity, less silenced and held-back ones: what the dashboard shows."""
    counts = dict.fromkeys(sorted(Severity.values, key=SEVERITY_RANK.__getitem__), 0)
    rows = Alert.objects.filter(
        status__in=OPEN_STATUSES, silenced=False, inhibited_by__isnull=True
    ).values("severity")
    for row in rows.annotate(n=Count("pk")).order_by():
        counts[row["severity"]] = row["n"]
    return counts


