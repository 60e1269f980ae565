from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        # The detections register their kinds and settings (m365admin/registry/detections.py)
        # when their package is imported, and their run after each sign-in sync
        # (m365admin/registry/sync_steps.py) with the trigger.
        import security.detections
        import security.detections.trigger  # noqa: F401

        # Imported for their receivers: signals (the audit), iprules (the rules' version),
        # timezones (the chosen zone into a new session).
        from security import iprules, roles, signals, timezones  # noqa: F401

        # After every app's migrations, when every permission exists.
        post_migrate.connect(roles.sync_groups, dispatch_uid="security_sync_role_groups")
