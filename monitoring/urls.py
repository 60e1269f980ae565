"""Monitoring's routes: its pages (namespace "monitoring"), the machine endpoints the root
includes at the site root, and the dashboard's websocket."""

from __future__ import annotations

from django.urls import include, path

from monitoring import consumers
from monitoring.alerts import urls as alert_urls
from monitoring.dbconsole import urls as dbconsole_urls
from monitoring.views import dashboard, metrics, probes

app_name = "monitoring"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("alerts/", include(alert_urls)),
    path("database/", include(dbconsole_urls.urlpatterns)),
]

# For load balancers and Prometheus: no namespace, no trailing slash (/healthz, /readyz, /metrics).
machine_urlpatterns = [
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
]

websocket_urlpatterns = [
    path("ws/dashboard/", consumers.DashboardConsumer.as_asgi()),
]
