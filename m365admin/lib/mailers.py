"""Email configuration: Django's MAILERS entry for EMAIL_BACKEND, with that backend's own options.

Django 6.1 gives each backend only the OPTIONS its mailer entry holds (no more EMAIL_* fallbacks),
so the file backend needs `file_path`, SMTP its host and credentials, and a third-party backend
whatever it documents (EMAIL_OPTIONS, JSON). What the environment can tell is checked while the
settings load; what only the backend knows (an unknown option, a path it cannot write) is
checked by `manage.py check`, which every command runs before it starts.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from m365admin.lib.env import env_bool, env_float, env_int, env_secret, env_str

_DJANGO = "django.core.mail.backends."
SMTP = _DJANGO + "smtp.EmailBackend"
FILE = _DJANGO + "filebased.EmailBackend"
# Django's backends that take no options.
_OPTIONLESS = {_DJANGO + name + ".EmailBackend" for name in ("console", "locmem", "dummy")}


def mailer_options(backend: str) -> dict[str, Any]:
    """The OPTIONS of the MAILERS entry for `backend`, from the environment."""
    if backend == SMTP:
        return _smtp_options()
    if backend == FILE:
        path = env_str("EMAIL_FILE_PATH")
        if not path:
            raise ImproperlyConfigured(
                f"EMAIL_FILE_PATH must name the folder {FILE} writes messages to.")
        return {"file_path": path}
    if backend in _OPTIONLESS:
        return {}
    return _json_options()


def _smtp_options() -> dict[str, Any]:
    use_tls, use_ssl = env_bool("EMAIL_USE_TLS", False), env_bool("EMAIL_USE_SSL", False)
    if use_tls and use_ssl:
        raise ImproperlyConfigured(
            "EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: set at most one to True.")
    options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        # Unset: 465 with SSL, 587 with TLS, else 25 (the backend's own choice).
        "port": env_int("EMAIL_PORT", 0, minimum=1) or None,
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_secret("EMAIL_HOST_PASSWORD") or "",
        "use_tls": use_tls,
        "use_ssl": use_ssl,
        "timeout": env_float("EMAIL_TIMEOUT", 30.0, minimum=1.0),
        "ssl_certfile": env_str("EMAIL_SSL_CERTFILE"),
        "ssl_keyfile": env_str("EMAIL_SSL_KEYFILE"),
    }
    return {name: value for name, value in options.items() if value is not None}


def _json_options() -> dict[str, Any]:
    text = os.environ.get("EMAIL_OPTIONS") or "{}"
    try:
        options = json.loads(text)
    except ValueError:
        options = None
    if not isinstance(options, dict):
        raise ImproperlyConfigured(
            "EMAIL_OPTIONS must be a JSON object of the email backend's options, such as "
            '{"api_key": "…"}.')
    return options


@checks.register(checks.Tags.mail)
def check_mailer(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Build the default mailer once, so that a backend refusing its options stops start-up
    instead of every notification email."""
    from django.core import mail

    try:
        mail.mailers.default.close()
    except (mail.InvalidMailer, ImproperlyConfigured, ImportError, TypeError, OSError) as exc:
        return [checks.Error(
            f"The email backend cannot start: {exc}",
            hint="Check EMAIL_BACKEND and its settings (README, Configuration).",
            id="m365admin.E101",
        )]
    return []
