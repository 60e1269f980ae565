from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", include("m365admin.urls_pages")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("m365admin.api.urls")),
    path("admin/", admin.site.urls),
]

# Websocket routes, next to the HTTP ones; the apps' consumers are added here.
websocket_urlpatterns: list = []
