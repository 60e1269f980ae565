from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from monitoring.api import database, views

app_name = "monitoring-api"

router = SimpleRouter()
router.register("alerts", views.AlertViewSet)

# The documented action URLs have no trailing slash (the router's `…/acknowledge/` works too).
_act = {
    name: views.AlertViewSet.as_view({"post": name})
    for name in ("acknowledge", "resolve", "silence")
}

urlpatterns = [
    path("metrics/monitoring", views.MonitoringView.as_view(), name="monitoring"),
    path("metrics/performance", views.PerformanceView.as_view(), name="performance"),
    path("metrics/history", views.HistoryView.as_view(), name="history"),
    path("alerts/<uuid:code>/acknowledge", _act["acknowledge"], name="alert-acknowledge-noslash"),
    path("alerts/<uuid:code>/resolve", _act["resolve"], name="alert-resolve-noslash"),
    path("alerts/<uuid:code>/silence", _act["silence"], name="alert-silence-noslash"),
    path("database/", database.StatusView.as_view(), name="database"),
    path("database/queries", database.QueriesView.as_view(), name="database-queries"),
    # pg_stat_statements' query IDs are signed 64-bit numbers.
    re_path(r"^database/queries/(?P<queryid>-?[0-9]{1,20})/explain$",
            database.ExplainView.as_view(), name="database-explain"),
    re_path(r"^database/queries/(?P<queryid>-?[0-9]{1,20})/history$",
            database.QueryHistoryView.as_view(), name="database-query-history"),
    path("database/tables", database.TablesView.as_view(), name="database-tables"),
    path("database/tables/<str:name>/bloat", database.BloatView.as_view(),
         name="database-bloat"),
    path("database/indexes", database.IndexesView.as_view(), name="database-indexes"),
    path("database/activity", database.ActivityView.as_view(), name="database-activity"),
    path("database/cache", database.CacheView.as_view(), name="database-cache"),
    path("database/sequences", database.SequencesView.as_view(), name="database-sequences"),
    path("database/settings", database.SettingsView.as_view(), name="database-settings"),
    path("database/replication", database.ReplicationView.as_view(),
         name="database-replication"),
    path("database/pool", database.PoolView.as_view(), name="database-pool"),
    path("database/partitions", database.PartitionsView.as_view(), name="database-partitions"),
    path("database/history", database.HistoryView.as_view(), name="database-history"),
    path("database/actions", database.ActionsView.as_view(), name="database-actions"),
    path("database/actions/preview", database.PreviewView.as_view(),
         name="database-action-preview"),
    path("database/actions/<int:pk>", database.ActionView.as_view(), name="database-action"),
    path("database/actions/<int:pk>/cancel", database.CancelView.as_view(),
         name="database-action-cancel"),
    *router.urls,
]
