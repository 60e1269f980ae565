from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from monitoring.urls import websocket_urlpatterns as monitoring_websockets

urlpatterns = [
    path("", include("m365admin.urls_pages")),
    path("", include("monitoring.urls")),
    path("", include("monitoring.urls_probes")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("m365admin.api.urls")),
    path("api/v1/", include("monitoring.api.urls")),
    path("admin/", admin.site.urls),
]

# Websocket routes, next to the HTTP ones.
websocket_urlpatterns = [*monitoring_websockets]
