from django.urls import path

from m365admin import views

app_name = "m365admin"

urlpatterns = [
    path("", views.tenant_list, name="tenant-list"),
]
