"""The database console's routes, both under database/: its pages (`urlpatterns`, in the
"monitoring" namespace, from monitoring/urls.py) and its API (`api_urlpatterns`, in
"monitoring-api", from monitoring/api/urls.py)."""

from __future__ import annotations

from django.urls import path, re_path

from monitoring.dbconsole import api, views

# pg_stat_statements' query IDs are signed 64-bit numbers.
QUERYID = r"(?P<queryid>-?[0-9]{1,20})"

urlpatterns = [
    path("", views.overview, name="database"),
    re_path(rf"^queries/{QUERYID}/explain$", views.explain, name="database-explain"),
    path("actions/confirm", views.action_confirm, name="database-confirm"),
    path("actions/", views.action_create, name="database-action-create"),
    path("actions/<int:pk>/", views.action_detail, name="database-action"),
    path("actions/<int:pk>/cancel", views.action_cancel, name="database-action-cancel"),
]

api_urlpatterns = [
    path("", api.StatusView.as_view(), name="database"),
    path("queries", api.QueriesView.as_view(), name="database-queries"),
    re_path(rf"^queries/{QUERYID}/explain$", api.ExplainView.as_view(),
            name="database-explain"),
    re_path(rf"^queries/{QUERYID}/history$", api.QueryHistoryView.as_view(),
            name="database-query-history"),
    path("tables", api.TablesView.as_view(), name="database-tables"),
    path("tables/<str:name>/bloat", api.BloatView.as_view(), name="database-bloat"),
    path("indexes", api.IndexesView.as_view(), name="database-indexes"),
    path("activity", api.ActivityView.as_view(), name="database-activity"),
    path("cache", api.CacheView.as_view(), name="database-cache"),
    path("sequences", api.SequencesView.as_view(), name="database-sequences"),
    path("settings", api.SettingsView.as_view(), name="database-settings"),
    path("replication", api.ReplicationView.as_view(), name="database-replication"),
    path("pool", api.PoolView.as_view(), name="database-pool"),
    path("partitions", api.PartitionsView.as_view(), name="database-partitions"),
    path("history", api.HistoryView.as_view(), name="database-history"),
    path("actions", api.ActionsView.as_view(), name="database-actions"),
    path("actions/preview", api.PreviewView.as_view(), name="database-action-preview"),
    path("actions/<int:pk>", api.ActionView.as_view(), name="database-action"),
    path("actions/<int:pk>/cancel", api.CancelView.as_view(), name="database-action-cancel"),
]
