"""The licences' routes, both under licences/: the page and its exports (`urlpatterns`, in the
"m365admin" namespace, from m365admin/urls.py) and the API (`api_urlpatterns`, in
"m365admin-api", from m365admin/api/urls.py)."""

from __future__ import annotations

from django.urls import path

from m365admin.licences import api, views

urlpatterns = [
    path("", views.licence_list, name="licence-list"),
    path("export.csv", views.licence_export, name="licence-export"),
    path("reclaim.csv", views.reclaim_export, name="reclaim-export"),
]

api_urlpatterns = [
    path("", api.LicencesView.as_view(), name="licences"),
    path("reclaim", api.ReclaimView.as_view(), name="licences-reclaim"),
]
