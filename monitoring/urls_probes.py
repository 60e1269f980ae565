"""Machine URLs, included at the site root without a trailing slash: the probes (/healthz,
/readyz) and the Prometheus exposition (/metrics)."""

from django.urls import path

from monitoring import views_metrics, views_probes

urlpatterns = [
    path("healthz", views_probes.healthz, name="healthz"),
    path("readyz", views_probes.readyz, name="readyz"),
    path("metrics", views_metrics.metrics, name="metrics"),
]
