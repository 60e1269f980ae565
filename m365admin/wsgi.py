"""WSGI entry point: production may serve HTTP from a WSGI server and /ws/ from daphne
(DESIGN.md: several times the throughput of Django under any ASGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "m365admin.settings")
application = get_wsgi_application()
