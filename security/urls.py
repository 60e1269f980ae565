"""Two-factor pages, included under accounts/two-factor/."""

from django.urls import path

from security import twofactor

app_name = "two_factor"

urlpatterns = [
    path("", twofactor.manage, name="manage"),
    path("verify/", twofactor.verify, name="verify"),
    path("setup/", twofactor.setup, name="setup"),
    path("recovery-codes/", twofactor.recovery_codes, name="recovery-codes"),
    path("remove/", twofactor.remove, name="remove"),
]
