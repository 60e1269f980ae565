from django.urls import path

from security import threat_views, views

app_name = "security"

urlpatterns = [
    path("security/", views.security_page, name="overview"),
    path("account/time-zone/", views.time_zone, name="time-zone"),
    path("threats/", threat_views.threat_list, name="threats"),
    path("threats/events/<int:pk>/", threat_views.threat_event, name="threat-event"),
    path("threats/events/<int:pk>/verdict", threat_views.threat_verdict, name="threat-verdict"),
    path("threats/events/<int:pk>/accept", threat_views.threat_accept, name="threat-accept"),
    path("threats/users/", threat_views.threat_user, name="threat-user"),
    path("threats/exceptions/", threat_views.accepted_risks, name="accepted-risks"),
    path("threats/exceptions/<int:pk>/end", threat_views.accepted_risk_end,
         name="accepted-risk-end"),
    path("threats/posture/", threat_views.posture_page, name="posture"),
]
