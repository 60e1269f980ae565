"""Third-party apps under names that translate: the admin lists them as "Axes", "Otp_Static"
and "Token Blacklist" otherwise, in English on Japanese pages too.

Each app gets a translated verbose name, and its models lazily translated names. The models'
English names stay what their packages say (so migrations see no change); gettext gives them
in the reader's language, and makemessages finds the strings here.
"""

from __future__ import annotations

from typing import Any

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig
from django_tasks_db.apps import TasksAppConfig


def _name_models(config: AppConfig, names: dict[str, tuple[Any, ...]]) -> None:
    """`names`: model name → (verbose_name, verbose_name_plural), the packages' own words."""
    for model_name, (singular, plural) in names.items():
        meta = config.get_model(model_name)._meta
        meta.verbose_name, meta.verbose_name_plural = singular, plural


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in lockouts")

    def ready(self) -> None:
        super().ready()
        _name_models(self, {
            "accessattempt": (_("access attempt"), _("access attempts")),
            "accessfailurelog": (_("access failure"), _("access failures")),
            "accesslog": (_("access log"), _("access logs")),
            "accessattemptexpiration": (_("access attempt expiration"),
                                        _("access attempt expirations")),
        })


class TOTPDeviceConfig(TOTPConfig):
    verbose_name = _("Authenticator apps")

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"totpdevice": (_("TOTP device"), _("TOTP devices"))})


class RecoveryCodesConfig(StaticConfig):
    verbose_name = _("Recovery codes")

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"staticdevice": (_("static device"), _("static devices")),
                            "statictoken": (_("static token"), _("static tokens"))})


class TasksConfig(TasksAppConfig):
    # django_tasks_db declares a plain str; Django takes a lazy translation as the others do.
    verbose_name = _("Background tasks")  # type: ignore[assignment]

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"dbtaskresult": (_("task result"), _("task results"))})


# simplejwt's app keeps its own INSTALLED_APPS entry (its models are abstract without that exact
# string), and its names are translatable already: these are here for makemessages to find.
TOKEN_BLACKLIST_NAMES = (
    gettext_noop("Token Blacklist"), gettext_noop("Outstanding Token"),
    gettext_noop("Outstanding Tokens"), gettext_noop("Blacklisted Token"),
    gettext_noop("Blacklisted Tokens"),
)


# Django's own admin asks for these strings, which its Japanese catalogue lacks (6.1).
DJANGO_ADMIN_STRINGS = (
    gettext_noop("- Select an option -"),
    gettext_noop("Filter by %(field_name)s"),
)
