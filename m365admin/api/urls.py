from rest_framework.routers import DefaultRouter

from m365admin.api import views

app_name = "m365admin-api"

router = DefaultRouter()
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

urlpatterns = router.urls
