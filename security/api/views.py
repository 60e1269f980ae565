"""/api/v1/metrics/security: the security page's figures as JSON."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from m365admin.api.schema import OBJECT
from security.models import SecurityEvent
from security.overview import security_overview


class CanViewSecurityEvents(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("security.view_securityevent"))


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = SecurityEvent
        fields = ["created", "kind", "severity", "ip_address", "username", "method", "path",
                  "location", "blocked", "count", "details", "historical"]


class HoursSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=24 * 30, default=24)


class SecurityMetricsView(APIView):
    permission_classes = [CanViewSecurityEvents]

    @extend_schema(summary="The security page's figures", parameters=[HoursSerializer],
                   responses=OBJECT)
    def get(self, request):
        params = HoursSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        overview = security_overview(hours=params.validated_data["hours"])
        overview["latest"] = EventSerializer(overview.pop("latest"), many=True).data
        return Response(overview)
