"""The dashboard's data for integrations: the same figures the tick carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring import push, requeststats, sampler
from monitoring.permissions import can_view_dashboard
from monitoring.tick import build_snapshot


class CanViewDashboard(BasePermission):
    def has_permission(self, request, view) -> bool:
        return can_view_dashboard(request.user)


class HoursSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=24, default=1)


def _latest() -> dict:
    text = push.load_snapshot()
    return json.loads(text) if text else build_snapshot(latest=None)


class MonitoringView(APIView):
    """The latest tick: metrics, component health and the tenant tiles."""

    permission_classes = [CanViewDashboard]

    def get(self, request):
        snapshot = _latest()
        latest = snapshot["latest"] or {}
        return Response({
            "t": latest.get("t"),
            "interval": snapshot["interval"],
            "metrics": latest.get("metrics"),
            "health": latest.get("health", []),
            "tenants": snapshot["tenants"],
        })


def _window(request) -> tuple[datetime, datetime]:
    params = HoursSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    until = datetime.now(UTC) + timedelta(seconds=1)
    return until - timedelta(hours=params.validated_data["hours"]), until


class PerformanceView(APIView):
    """Request statistics: the last complete interval, and per-interval totals over `hours`."""

    permission_classes = [CanViewDashboard]

    def get(self, request):
        since, until = _window(request)
        return Response({
            "last_interval": requeststats.interval_summary(requeststats.last_complete_interval()),
            "history": requeststats.history(since, until),
        })


class HistoryView(APIView):
    """Metric columns over `hours` (1–24) for the charts' longer views."""

    permission_classes = [CanViewDashboard]

    def get(self, request):
        since, until = _window(request)
        return Response({
            "metrics": sampler.history(since, until),
            "requests": requeststats.history(since, until),
        })
