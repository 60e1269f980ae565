"""The dashboard's data for integrations: the same figures the tick carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from m365admin import explorer
from m365admin.api.permissions import ModelViewPermission
from m365admin.api.rows import ValuesListMixin
from m365admin.api.schema import CONFLICT, OBJECT
from monitoring import requeststats, sampler
from monitoring.alerts import grouping
from monitoring.api.serializers import (
    AlertDetailSerializer,
    AlertGroupSerializer,
    AlertGroupsQuerySerializer,
    AlertNoteSerializer,
    AlertSerializer,
    AlertSilenceSerializer,
)
from monitoring.choices import AlertStatus
from monitoring.filtersets import AlertFilterSet
from monitoring.forms import SilenceForm
from monitoring.models import Alert, AlertTransition, Silence
from monitoring.models.alerts import AlertConflict
from monitoring.permissions import can_view_dashboard
from monitoring.tick import latest_snapshot


class CanViewDashboard(BasePermission):
    def has_permission(self, request, view) -> bool:
        return can_view_dashboard(request.user)


class HoursSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=24, default=1)


class MonitoringView(APIView):
    """The latest tick: metrics, component health and the tenant tiles (from the database when
    the cache holds no snapshot, or is down)."""

    permission_classes = [CanViewDashboard]

    @extend_schema(summary="The latest tick", responses=OBJECT)
    def get(self, request):
        snapshot = json.loads(latest_snapshot())
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

    @extend_schema(summary="Request statistics", parameters=[HoursSerializer], responses=OBJECT)
    def get(self, request):
        since, until = _window(request)
        return Response({
            "last_interval": requeststats.interval_summary(requeststats.last_complete_interval()),
            "history": requeststats.history(since, until),
        })


class HistoryView(APIView):
    """Metric columns over `hours` (1–24) for the charts' longer views."""

    permission_classes = [CanViewDashboard]

    @extend_schema(summary="Metric columns for charts", parameters=[HoursSerializer],
                   responses=OBJECT)
    def get(self, request):
        since, until = _window(request)
        return Response({
            "metrics": sampler.history(since, until),
            "requests": requeststats.history(since, until),
        })


# Alerts


class CanActOnAlerts(ModelViewPermission):
    """Acknowledging and resolving change an alert: `change_alert` (Operators), not `add_alert`."""

    perms_map = {
        **ModelViewPermission.perms_map,
        "POST": ["%(app_label)s.view_%(model_name)s", "%(app_label)s.change_%(model_name)s"],
    }


def _transition_count():
    # A subquery rather than a GROUP BY over every selected column (labels is JSON).
    per_alert = AlertTransition.objects.filter(alert=OuterRef("pk")).order_by().values("alert")
    return Coalesce(Subquery(per_alert.annotate(n=Count("pk")).values("n")), 0)


class AlertViewSet(ValuesListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    """Alerts, newest first; `acknowledge` and `resolve` take an optional note."""

    queryset = Alert.objects.select_related(
        "rule", "tenant", "acknowledged_by", "resolved_by", "previous"
    ).annotate(transition_count=_transition_count())
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["last_seen", "first_seen", "count"]
    lookup_field = "code"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    @extend_schema(parameters=[AlertGroupsQuerySerializer], responses={200: OBJECT})
    @action(detail=False)
    def groups(self, request):
        """The filtered alerts grouped by rule, the worst group first (the dashboard panel)."""
        query = AlertGroupsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        alerts = self.filter_queryset(self.get_queryset())
        groups, total = grouping.by_rule(alerts, **query.validated_data)
        return Response({"count": total, "alerts": alerts.count(),
                         "silenced": alerts.filter(silenced=True).count(),
                         "results": AlertGroupSerializer(
                             groups, many=True, context=self.get_serializer_context()).data})

    def get_serializer_class(self):
        # One alert says why it holds (a query or two), which a page of fifty would repeat.
        return AlertSerializer if self.action in ("list", "groups") else AlertDetailSerializer

    def get_serializer_context(self) -> dict:
        # Read only if an alert shown is silenced (its "silenced until"): usually none is.
        return {**super().get_serializer_context(),
                "silences": SimpleLazyObject(lambda: list(Silence.objects.active()))}

    @extend_schema(request=AlertNoteSerializer,
                   responses={200: AlertDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, code=None):
        return self._move(request, Alert.acknowledge)

    @extend_schema(request=AlertNoteSerializer,
                   responses={200: AlertDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def resolve(self, request, code=None):
        return self._move(request, Alert.resolve)

    @extend_schema(request=AlertSilenceSerializer,
                   responses={201: AlertDetailSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def silence(self, request, code=None):
        """Silence the alert and those like it (its rule and labels) for 1, 4 or 24 hours with
        a reason, as its page's form would: audited, applied at once."""
        alert = self.get_object()
        params = AlertSilenceSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        if alert.status == AlertStatus.RESOLVED:
            return Response({"detail": _("A resolved alert needs no silence.")},
                            status=status.HTTP_409_CONFLICT)
        form = SilenceForm.as_offered(alert, **params.validated_data)
        if not form.is_valid():  # a label too long for a matcher, say
            return Response({"detail": " ".join(explorer.form_problems(form))},
                            status=status.HTTP_400_BAD_REQUEST)
        form.save(request.user)
        return Response(self.get_serializer(self.get_object()).data,
                        status=status.HTTP_201_CREATED)

    def get_permissions(self):
        if self.action in ("acknowledge", "resolve", "silence"):
            return [CanActOnAlerts()]
        return super().get_permissions()

    def _move(self, request, move) -> Response:
        alert = self.get_object()
        params = AlertNoteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            move(alert, request.user, params.validated_data["note"])
        except AlertConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(self.get_object()).data)
