"""One labelled time zone per person: pages render times in the zone they chose (or
TIME_ZONE_DEFAULT), kept in the session so reading it costs no query."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.models.preferences import Preference

SESSION_KEY = "time_zone"


class TimeZoneMiddleware:
    """Activates the reader's zone for the request (after sessions)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        zone = session.get(SESSION_KEY) if session is not None else None
        timezone.activate(zone or settings.TIME_ZONE_DEFAULT)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


@receiver(user_logged_in, dispatch_uid="time_zone_into_session")
def remember_time_zone(sender, request, user, **kwargs) -> None:
    """A new session starts in the zone the person chose before."""
    zone = Preference.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if zone and request is not None:
        request.session[SESSION_KEY] = zone


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(zone, zone) for zone in sorted(available_timezones())]

    def save(self, request: HttpRequest) -> str:
        zone = self.cleaned_data["time_zone"]
        Preference.objects.update_or_create(user=request.user, defaults={"time_zone": zone})
        request.session[SESSION_KEY] = zone
        return zone
