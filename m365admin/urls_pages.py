from django.urls import path

from m365admin import views

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
]
