from django.urls import path

from security.api import tokens, views

app_name = "security-api"

urlpatterns = [
    path("auth/token", tokens.ObtainTokenView.as_view(), name="token"),
    path("auth/token/refresh", tokens.RefreshTokenView.as_view(), name="token-refresh"),
    path("auth/token/revoke", tokens.RevokeTokenView.as_view(), name="token-revoke"),
    path("metrics/security", views.SecurityMetricsView.as_view(), name="security"),
]
