from django.urls import path

from m365admin import views
from m365admin.licences import views as licence_views

app_name = "m365admin"

urlpatterns = [
    path("", views.tenant_list, name="tenant-list"),
    path("signins/", views.signin_list, name="signin-list"),
    path("signins/<int:pk>/", views.signin_detail, name="signin-detail"),
    path("signins/export.csv", views.signin_export, name="signin-export"),
    path("users/", views.user_list, name="user-list"),
    path("mailboxes/", views.mailbox_list, name="mailbox-list"),
    path("teams/", views.team_list, name="team-list"),
    path("onedrive/", views.onedrive_list, name="onedrive-list"),
    path("licences/", licence_views.licence_list, name="licence-list"),
    path("licences/export.csv", licence_views.licence_export, name="licence-export"),
    path("licences/reclaim.csv", licence_views.reclaim_export, name="reclaim-export"),
]
