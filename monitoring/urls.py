from django.urls import path, re_path

from monitoring import alert_views, consumers, database_views, views

app_name = "monitoring"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("alerts/", alert_views.alert_list, name="alert-list"),
    path("alerts/bulk", alert_views.alert_bulk, name="alert-bulk"),
    path("alerts/silences/", alert_views.silence_list, name="silence-list"),
    path("alerts/silences/<uuid:code>/expire", alert_views.silence_expire,
         name="silence-expire"),
    path("alerts/<uuid:code>/silence", alert_views.alert_silence, name="alert-silence"),
    path("alerts/<uuid:code>/", alert_views.alert_detail, name="alert-detail"),
    path("alerts/<uuid:code>/acknowledge", alert_views.alert_move, {"action": "acknowledge"},
         name="alert-acknowledge"),
    path("alerts/<uuid:code>/resolve", alert_views.alert_move, {"action": "resolve"},
         name="alert-resolve"),
    path("database/", database_views.overview, name="database"),
    re_path(r"^database/queries/(?P<queryid>-?[0-9]{1,20})/explain$", database_views.explain,
            name="database-explain"),
    path("database/actions/confirm", database_views.action_confirm, name="database-confirm"),
    path("database/actions/", database_views.action_create, name="database-action-create"),
    path("database/actions/<int:pk>/", database_views.action_detail, name="database-action"),
    path("database/actions/<int:pk>/cancel", database_views.action_cancel,
         name="database-action-cancel"),
]

websocket_urlpatterns = [
    path("ws/dashboard/", consumers.DashboardConsumer.as_asgi()),
]
