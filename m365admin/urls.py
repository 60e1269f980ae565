"""The site's routes (ROOT_URLCONF): the base's own pages, each app's pages (<app>/urls.py),
signing in, the API (<app>/api/urls.py under api/v1/) and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from m365admin import views
from m365admin.api import urls as api_urls
from m365admin.licences import urls as licence_urls
from monitoring import urls as monitoring_urls
from security import languages
from security import urls as security_urls
from security.ratelimits import login_limited

# The base's own pages, in the "m365admin" namespace: the tenants, the explorers, the licences.
pages: list[URLPattern | URLResolver] = [
    path("", views.tenant_list, name="tenant-list"),
    path("signins/", views.signin_list, name="signin-list"),
    path("signins/<int:pk>/", views.signin_detail, name="signin-detail"),
    path("signins/export.csv", views.signin_export, name="signin-export"),
    path("users/", views.user_list, name="user-list"),
    path("mailboxes/", views.mailbox_list, name="mailbox-list"),
    path("teams/", views.team_list, name="team-list"),
    path("onedrive/", views.onedrive_list, name="onedrive-list"),
    path("licences/", include(licence_urls.urlpatterns)),
]

urlpatterns = [
    path("", include((pages, "m365admin"))),
    path("", include("collectors.urls")),
    path("", include("monitoring.urls")),
    path("", include(monitoring_urls.machine_urlpatterns)),
    path("", include("security.urls")),
    path("accounts/login/", login_limited(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include((security_urls.two_factor_urlpatterns, "two_factor"))),
    path("i18n/setlang/", languages.set_language, name="set_language"),
    path("api/", include((api_urls.docs_urlpatterns, "api-docs"))),
    path("api/v1/", include("m365admin.api.urls")),
    path("api/v1/", include("monitoring.api.urls")),
    path("api/v1/", include("security.api.urls")),
    path("admin/", admin.site.urls),
]

# Bad input (too large, too many fields, malformed) answered with what was wrong.
handler400 = "m365admin.errors.bad_request"
# An API URL matching no route: JSON like the API's other 404s, not Django's HTML page.
handler404 = "m365admin.errors.not_found"
# A database that went away mid-request: the "database unavailable" 503, not a bare 500.
handler500 = "m365admin.outages.server_error"

# Websocket routes, next to the HTTP ones.
websocket_urlpatterns = [*monitoring_urls.websocket_urlpatterns]
