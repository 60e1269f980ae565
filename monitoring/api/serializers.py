"""Alert serializers; fields listed explicitly, never __all__."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from m365admin.api.rows import Computed
from monitoring.alerts.reasons import why
from monitoring.alerts.titles import alert_title
from monitoring.forms import SILENCE_CHOICES
from monitoring.models import Alert
from monitoring.models.alerts import is_incident_source, muted_until


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name", read_only=True)
    source = serializers.CharField(source="rule.source", read_only=True)
    tenant = serializers.UUIDField(source="tenant.code", read_only=True, allow_null=True)
    tenant_name = serializers.CharField(source="tenant.name", read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True)  # the summary in the request's language
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", read_only=True, allow_null=True
    )
    resolved_by = serializers.CharField(
        source="resolved_by.username", read_only=True, allow_null=True
    )
    transitions = serializers.IntegerField(source="transition_count", read_only=True)
    kind = serializers.SerializerMethodField()
    previous = serializers.UUIDField(source="previous.code", read_only=True, allow_null=True)

    silenced_until = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_silenced_until(self, alert: Alert) -> str | None:
        return _silenced_until(alert.silenced, alert.rule_id, alert.labels, self.context)

    def get_kind(self, alert: Alert) -> str:
        return _kind(alert.rule.source)

    # The list's values (m365admin.api.rows): the fields above that are no column.
    computed_from_values = {
        "title": Computed(("rule__name", "labels", "summary"), lambda row, context: alert_title(
            row["rule__name"], row["labels"], row["summary"])),
        "kind": Computed(("rule__source",), lambda row, context: _kind(row["rule__source"])),
        "silenced_until": Computed(("silenced", "rule", "labels"), lambda row, context: (
            _silenced_until(row["silenced"], row["rule"], row["labels"], context))),
    }

    class Meta:
        model = Alert
        fields = ["code", "rule", "source", "tenant", "tenant_name", "labels", "status", "severity",
                  "summary", "value", "count", "first_seen", "last_seen", "fired", "acknowledged",
                  "acknowledged_by", "resolved", "resolved_by", "silenced", "transitions",
                  "kind", "previous", "silenced_until", "title"]
        read_only_fields = fields


def _kind(source: str) -> str:
    return "incident" if is_incident_source(source) else "condition"


def _silenced_until(silenced: bool, rule_id: int, labels: dict, context: dict) -> str | None:
    """From the active silences the view loads once per request (its context)."""
    ends = muted_until(silenced, rule_id, labels, context.get("silences", []))
    return serializers.DateTimeField().to_representation(ends) if ends else None


class AlertDetailSerializer(AlertSerializer):
    """One alert: also why it holds (a component's reason, a collector's error), in the
    request's language; "" when its source keeps none."""

    why = serializers.SerializerMethodField()

    def get_why(self, alert: Alert) -> str:
        return why(alert)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "why"]
        read_only_fields = fields


class AlertSilenceSerializer(serializers.Serializer):
    """A silence from the dashboard: the alert's rule and labels, for a fixed time (a silence
    until a chosen time, or of other matchers, is made on the alert's page)."""

    duration = serializers.ChoiceField(choices=[choice for choice, _ in SILENCE_CHOICES])
    reason = serializers.CharField(max_length=500)


class AlertNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AlertGroupSerializer(serializers.Serializer):
    """One rule's alerts (monitoring.alerts.grouping): the count and the first few."""

    rule = serializers.CharField(source="rule.title")
    rule_code = serializers.UUIDField(source="rule.code")
    severity = serializers.CharField()
    count = serializers.IntegerField()
    latest = serializers.DateTimeField()
    alerts = AlertSerializer(many=True)


class AlertGroupsQuerySerializer(serializers.Serializer):
    groups = serializers.IntegerField(min_value=1, max_value=100, default=20)
    per_group = serializers.IntegerField(min_value=1, max_value=50, default=10)
