"""Probe URLs, included at the site root without a trailing slash (/healthz, /readyz)."""

from django.urls import path

from monitoring import views_probes

urlpatterns = [
    path("healthz", views_probes.healthz, name="healthz"),
    path("readyz", views_probes.readyz, name="readyz"),
]
