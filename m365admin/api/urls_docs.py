from django.urls import path

from m365admin.api import docs

app_name = "api-docs"

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("schema/swagger/", docs.SwaggerView.as_view(), name="swagger"),
    path("schema/redoc/", docs.RedocView.as_view(), name="redoc"),
]
