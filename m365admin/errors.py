"""Django's own error answers, as the API documents them: JSON with a `detail` under /api/.

The 400 says what was wrong with the request (Django's own page says nothing).

Django turns RequestDataTooBig, TooManyFieldsSent, a malformed multipart body and other bad
input into a 400 through `handler400`; the API gets JSON like DRF's own errors, pages plain
text. The exception's own text is never shown: it may quote the request.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views import defaults

from m365admin.lib.apipath import is_api


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _message(exception)
    if is_api(request):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _message(exception: Exception | None) -> str:
    if isinstance(exception, RequestDataTooBig):
        return _("The request body is too large: the limit is %(size)s.") % {
            "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
    if isinstance(exception, TooManyFieldsSent):
        return _("The request has too many fields: the limit is %(count)d.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    if isinstance(exception, TooManyFilesSent):
        return _("The request has too many files: the limit is %(count)d.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
    return _("The request could not be read: it is malformed.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """An API URL that matches no route (`/api/v1/users/0.5/`): JSON as DRF's own 404s."""
    if is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
