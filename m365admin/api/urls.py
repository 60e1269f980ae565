from django.urls import include, path
from rest_framework.routers import SimpleRouter

from m365admin.api import docs, views
from m365admin.api.feed import SecurityFeedView
from m365admin.api.root import ApiRootView
from m365admin.licences import urls as licence_urls

app_name = "m365admin-api"

router = SimpleRouter()
router.register("tenants", views.TenantViewSet)
router.register("users", views.DirectoryUserViewSet)
router.register("sign-ins", views.SignInViewSet)
router.register("mailboxes", views.MailboxViewSet)
router.register("onedrive-accounts", views.OneDriveAccountViewSet)
router.register("teams", views.TeamViewSet)
router.register("subscribed-skus", views.SubscribedSkuViewSet)
router.register("subscriptions", views.SubscriptionViewSet)
router.register("service-health", views.ServiceHealthViewSet)
router.register("service-health-issues", views.ServiceHealthIssueViewSet)
router.register("sync-runs", views.SyncRunViewSet)

# The index lists every app's endpoints, not only this router's.
urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("licences/", include(licence_urls.api_urlpatterns)),
    path("feed/security", SecurityFeedView.as_view(), name="feed-security"),
    *router.urls,
]

# The schema and its readers, under api/ (not api/v1/) in their own "api-docs" namespace.
docs_urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("schema/swagger/", docs.SwaggerView.as_view(), name="swagger"),
    path("schema/redoc/", docs.RedocView.as_view(), name="redoc"),
]
