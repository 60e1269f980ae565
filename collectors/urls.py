from django.urls import path

from collectors import views

app_name = "collectors"

urlpatterns = [
    path("tenants/add/", views.tenant_add, name="tenant-add"),
    path("tenants/<int:pk>/edit/", views.tenant_edit, name="tenant-edit"),
    path("tenants/<int:pk>/sync", views.tenant_sync, name="tenant-sync"),
    path("tenants/<int:pk>/sync/status", views.tenant_sync_status, name="tenant-sync-status"),
]
