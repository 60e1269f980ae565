"""ASGI entry point: HTTP through Django, websockets through Channels (origin-checked)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "m365admin.settings")
# Build Django's app first: it sets Django up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from m365admin.urls import websocket_urlpatterns  # noqa: E402
from security.middleware import WebsocketCallerMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin first, then the IP rules, then the session (a session that owes a second
        # factor is anonymous to the consumers): as for HTTP requests.
        "websocket": AllowedHostsOriginValidator(SessionMiddlewareStack(
            WebsocketCallerMiddleware(URLRouter(websocket_urlpatterns))
        )),
    }
)
