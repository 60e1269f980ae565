"""The language switcher: Django's own view (the cookie, the redirect), and for a signed-in
person the choice remembered, so that notification emails to them are written in it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views import i18n

from m365admin.models.preferences import Preference


def set_language(request: HttpRequest) -> HttpResponse:
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if (request.method == "POST" and request.user.is_authenticated
            and language in dict(settings.LANGUAGES)):
        Preference.objects.update_or_create(user=request.user, defaults={"language": language})
    return response
