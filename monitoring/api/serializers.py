"""Alert serializers; fields listed explicitly, never __all__."""

from __future__ import annotations

from rest_framework import serializers

from monitoring.models import Alert


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name", read_only=True)
    source = serializers.CharField(source="rule.source", read_only=True)
    tenant = serializers.UUIDField(source="tenant.code", read_only=True, allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.get_username", read_only=True, allow_null=True
    )
    resolved_by = serializers.CharField(
        source="resolved_by.get_username", read_only=True, allow_null=True
    )
    transitions = serializers.IntegerField(source="transition_count", read_only=True)
    kind = serializers.SerializerMethodField()
    previous = serializers.UUIDField(source="previous.code", read_only=True, allow_null=True)

    def get_kind(self, alert: Alert) -> str:
        return "incident" if alert.rule.is_incident else "condition"

    class Meta:
        model = Alert
        fields = ["code", "rule", "source", "tenant", "labels", "status", "severity", "summary",
                  "value", "count", "first_seen", "last_seen", "fired", "acknowledged",
                  "acknowledged_by", "resolved", "resolved_by", "silenced", "transitions",
                  "kind", "previous"]
        read_only_fields = fields


class AlertNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
