"""Security's pages (namespace "security"), and the two-factor pages the root includes under
accounts/two-factor/ in their own "two_factor" namespace."""

from __future__ import annotations

from django.urls import path

from security.views import overview, threats, twofactor

app_name = "security"

urlpatterns = [
    path("security/", overview.security_page, name="overview"),
    path("account/time-zone/", overview.time_zone, name="time-zone"),
    path("threats/", threats.threat_list, name="threats"),
    path("threats/events/<int:pk>/", threats.threat_event, name="threat-event"),
    path("threats/events/<int:pk>/verdict", threats.threat_verdict, name="threat-verdict"),
    path("threats/events/<int:pk>/accept", threats.threat_accept, name="threat-accept"),
    path("threats/users/", threats.threat_user, name="threat-user"),
    path("threats/exceptions/", threats.accepted_risks, name="accepted-risks"),
    path("threats/exceptions/<int:pk>/end", threats.accepted_risk_end,
         name="accepted-risk-end"),
    path("threats/posture/", threats.posture_page, name="posture"),
]

two_factor_urlpatterns = [
    path("", twofactor.manage, name="manage"),
    path("verify/", twofactor.verify, name="verify"),
    path("setup/", twofactor.setup, name="setup"),
    path("recovery-codes/", twofactor.recovery_codes, name="recovery-codes"),
    path("remove/", twofactor.remove, name="remove"),
]
