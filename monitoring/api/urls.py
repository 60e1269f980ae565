from django.urls import include, path
from rest_framework.routers import SimpleRouter

from monitoring.api import views
from monitoring.dbconsole import urls as dbconsole_urls

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
    path("database/", include(dbconsole_urls.api_urlpatterns)),
    *router.urls,
]
