"""The alert pages, under /alerts/ in the "monitoring" namespace (monitoring/urls.py)."""

from __future__ import annotations

from django.urls import path

from monitoring.alerts import views

urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("bulk", views.alert_bulk, name="alert-bulk"),
    path("silences/", views.silence_list, name="silence-list"),
    path("silences/<uuid:code>/expire", views.silence_expire, name="silence-expire"),
    path("<uuid:code>/silence", views.alert_silence, name="alert-silence"),
    path("<uuid:code>/", views.alert_detail, name="alert-detail"),
    path("<uuid:code>/acknowledge", views.alert_move, {"action": "acknowledge"},
         name="alert-acknowledge"),
    path("<uuid:code>/resolve", views.alert_move, {"action": "resolve"}, name="alert-resolve"),
]
