from django.urls import path

from monitoring import alert_views, consumers, views

app_name = "monitoring"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("alerts/", alert_views.alert_list, name="alert-list"),
    path("alerts/<uuid:code>/", alert_views.alert_detail, name="alert-detail"),
    path("alerts/<uuid:code>/acknowledge", alert_views.alert_move, {"action": "acknowledge"},
         name="alert-acknowledge"),
    path("alerts/<uuid:code>/resolve", alert_views.alert_move, {"action": "resolve"},
         name="alert-resolve"),
]

websocket_urlpatterns = [
    path("ws/dashboard/", consumers.DashboardConsumer.as_asgi()),
]
