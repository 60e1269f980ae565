from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from monitoring.urls import websocket_urlpatterns as monitoring_websockets
from security import languages
from security.ratelimits import login_limited

urlpatterns = [
    path("", include("m365admin.urls_pages")),
    path("", include("collectors.urls")),
    path("", include("monitoring.urls")),
    path("", include("monitoring.urls_probes")),
    path("", include("security.urls_pages")),
    path("accounts/login/", login_limited(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include("security.urls")),
    path("i18n/setlang/", languages.set_language, name="set_language"),
    path("api/", include("m365admin.api.urls_docs")),
    path("api/v1/", include("m365admin.api.urls")),
    path("api/v1/", include("monitoring.api.urls")),
    path("api/v1/", include("security.api_urls")),
    path("admin/", admin.site.urls),
]

# Bad input (too large, too many fields, malformed) answered with what was wrong.
handler400 = "m365admin.errors.bad_request"
# An API URL matching no route: JSON like the API's other 404s, not Django's HTML page.
handler404 = "m365admin.errors.not_found"
# A database that went away mid-request: the "database unavailable" 503, not a bare 500.
handler500 = "m365admin.outages.server_error"

# Websocket routes, next to the HTTP ones.
websocket_urlpatterns = [*monitoring_websockets]
