from django.urls import path

from monitoring.api import views

app_name = "monitoring-api"

urlpatterns = [
    path("metrics/monitoring", views.MonitoringView.as_view(), name="monitoring"),
    path("metrics/performance", views.PerformanceView.as_view(), name="performance"),
    path("metrics/history", views.HistoryView.as_view(), name="history"),
]
