"""The database console for integrations: the page's reads, and starting, watching and
cancelling actions. Administrators only, like the page."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from m365admin.api.schema import CONFLICT, OBJECT
from monitoring.choices import DatabaseActionKind
from monitoring.dbconsole import actions, advice, insight, server, snapshots, worker
from monitoring.models import DatabaseAction
from monitoring.permissions import can_run_database_actions, can_view_database


class CanViewDatabase(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return can_view_database(request.user)
        return can_run_database_actions(request.user)


# The console's refusals, as clear 4xx answers (never a stack trace).
REFUSALS = {
    insight.Unavailable: status.HTTP_409_CONFLICT,
    actions.Refused: status.HTTP_409_CONFLICT,
    insight.CannotExplain: status.HTTP_400_BAD_REQUEST,
    LookupError: status.HTTP_404_NOT_FOUND,
}


class ConsoleView(APIView):
    permission_classes = [CanViewDatabase]

    def handle_exception(self, exc):
        for refusal, code in REFUSALS.items():
            if isinstance(exc, refusal):
                return Response({"detail": str(exc)}, status=code)
        return super().handle_exception(exc)


def _params(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class StatusView(ConsoleView):
    @extend_schema(summary="Server, extensions and what to fix", responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        if not insight.is_postgresql():
            return Response({"vendor": "sqlite", "available": False,
                             "detail": insight.sqlite_message()})
        return Response({"vendor": "postgresql", "available": True, **insight.status(),
                         "what_to_fix": advice.summary()})


class LimitSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=20)


class QueriesView(ConsoleView):
    @extend_schema(summary="The statements that take the time", parameters=[LimitSerializer],
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        limit = _params(LimitSerializer, request.query_params)["limit"]
        return Response({"queries": insight.slow_queries(limit)})


class ExplainView(ConsoleView):
    @extend_schema(summary="A statement's generic plan", responses={200: OBJECT, 409: CONFLICT})
    def get(self, request, queryid: str):
        return Response(insight.explain(int(queryid)))


class QueryHistoryView(ConsoleView):
    @extend_schema(summary="A statement's calls and time per 5-minute snapshot",
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request, queryid: str):
        insight.require_postgresql()
        return Response(snapshots.query_history(int(queryid)))


class TablesView(ConsoleView):
    @extend_schema(summary="Tables: sizes, dead rows, scans, vacuum times",
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        tables = insight.tables()
        return Response({"tables": tables, "sequential_scans": insight.sequential_scans(tables)})


class BloatView(ConsoleView):
    @extend_schema(summary="Measured bloat of one table (schema.table)",
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request, name: str):
        return Response(insight.bloat(name))


class IndexesView(ConsoleView):
    @extend_schema(summary="Unused, duplicate and invalid indexes, and suggested ones",
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        return Response({**insight.indexes(), "suggested": insight.missing_indexes()})


class ActivitySerializer(serializers.Serializer):
    min_seconds = serializers.IntegerField(min_value=0, max_value=86400, required=False)


class ActivityView(ConsoleView):
    @extend_schema(summary="Connections, long-running and blocked queries",
                   parameters=[ActivitySerializer], responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        minimum = _params(ActivitySerializer, request.query_params).get("min_seconds")
        return Response({
            "connections": insight.connections(),
            "long_running": insight.long_running(
                None if minimum is None else timedelta(seconds=minimum)),
            "blocked": insight.blocked(),
        })


class CacheView(ConsoleView):
    @extend_schema(summary="Buffer cache hit rate of tables and indexes, with advice",
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        return Response(server.cache_hit_rates())


class SequencesView(ConsoleView):
    @extend_schema(summary="Sequences and identity columns: share of their range used",
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        return Response({"sequences": server.sequences()})


class SettingsView(ConsoleView):
    @extend_schema(summary="The settings that matter most, with advice",
                   responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        return Response(server.server_settings())


class ReplicationView(ConsoleView):
    @extend_schema(summary="Replicas and their lag", responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        return Response(server.replication())


class PoolView(ConsoleView):
    @extend_schema(summary="The connection pool of each process", responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        return Response(insight.pool())


class PartitionsView(ConsoleView):
    @extend_schema(summary="Partitioned tables and what is due", responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        return Response({"tables": insight.partition_tables()})


class HistoryView(ConsoleView):
    @extend_schema(summary="Daily sizes of the largest tables", responses={200: OBJECT, 409: CONFLICT})
    def get(self, request):
        insight.require_postgresql()
        return Response({"sizes": snapshots.size_history()})


# Actions -------------------------------------------------------------------------------------

class PlanSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DatabaseActionKind.choices)
    # Blank as the preview answers them, so its body can be posted back as the action.
    target = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    column = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class RequestSerializer(PlanSerializer):
    statements = serializers.ListField(child=serializers.CharField(), allow_empty=False,
                                       help_text="The SQL the preview showed, unchanged.")


class ActionSerializer(serializers.ModelSerializer):
    requested_by = serializers.StringRelatedField()
    cancel_requested_by = serializers.StringRelatedField()
    progress = serializers.SerializerMethodField()
    seconds = serializers.SerializerMethodField()

    class Meta:
        model = DatabaseAction
        fields = ["id", "kind", "target", "column", "statements", "state", "requested_by",
                  "requested", "started", "finished", "seconds", "progress",
                  "cancel_requested_by", "result"]

    def get_progress(self, action) -> dict | None:
        return worker.progress(action) if self.context.get("live") else action.progress

    def get_seconds(self, action) -> float | None:
        return action.duration.total_seconds() if action.duration else None


class PlanResponseSerializer(PlanSerializer):
    statements = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())


def _plan_response(plan: actions.Plan) -> dict:
    return {"kind": plan.kind, "target": plan.target, "column": plan.column,
            "statements": plan.statements, "warnings": plan.warnings}


class PreviewView(ConsoleView):
    """What an action would run: POST the same body to /actions to run exactly that."""

    @extend_schema(request=PlanSerializer, responses={200: PlanResponseSerializer, 409: CONFLICT})
    def post(self, request):
        data = _params(PlanSerializer, request.data)
        return Response(_plan_response(actions.plan(data["kind"], data["target"],
                                                    data["column"])))


class ActionsView(ConsoleView):
    pagination_class = LimitOffsetPagination

    @extend_schema(operation_id="database_actions_list", responses=ActionSerializer(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            DatabaseAction.objects.select_related("requested_by", "cancel_requested_by"),
            request, view=self)
        return paginator.get_paginated_response(ActionSerializer(page, many=True).data)

    @extend_schema(request=RequestSerializer, responses={201: ActionSerializer, 409: CONFLICT})
    def post(self, request):
        data = _params(RequestSerializer, request.data)
        action = actions.request(data["kind"], data["target"], data["column"],
                                 data["statements"], request.user)
        return Response(ActionSerializer(action).data, status=status.HTTP_201_CREATED)


class ActionView(ConsoleView):
    @extend_schema(responses=ActionSerializer)
    def get(self, request, pk: int):
        action = get_object_or_404(DatabaseAction.objects.select_related(
            "requested_by", "cancel_requested_by"), pk=pk)
        return Response(ActionSerializer(action, context={"live": True}).data)


class CancelView(ConsoleView):
    @extend_schema(request=None, responses={202: ActionSerializer, 409: CONFLICT})
    def post(self, request, pk: int):
        action = get_object_or_404(DatabaseAction, pk=pk)
        worker.cancel(action, request.user)
        action.refresh_from_db()
        return Response(ActionSerializer(action).data, status=status.HTTP_202_ACCEPTED)
