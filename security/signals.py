"""Audit entries for sign-ins and for every change made through the Django admin."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.utils import timezone

from m365admin import audit
from security import events, roles
from security.choices import EventKind
from security.models import SecurityEvent

_ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


def _ip(request) -> str | None:
    return getattr(request, "client_ip", None) if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs) -> None:
    audit.record("auth.login", user, user=user, ip_address=_ip(request))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record("auth.logout", user, user=user, ip_address=_ip(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the username: the rest of `credentials` is the password (already masked by Django,
    # but it has no place here).
    username = str(credentials.get("username", ""))[:150]
    audit.record("auth.login_failed", username, ip_address=_ip(request))
    events.record(EventKind.LOGIN_FAILED, request=request, username=username)


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_changes")
def _admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    """Tenants, rules, channels, users, roles …: whatever an admin adds, changes or deletes."""
    if not created:
        return
    audit.record(
        _ADMIN_ACTIONS.get(instance.action_flag, "admin.change"),
        f"{instance.content_type.app_label}.{instance.content_type.model}:{instance.object_id} "
        f"({instance.object_repr})"[:300] if instance.content_type_id else instance.object_repr,
        {"change": instance.get_change_message()},
        user=instance.user,
    )


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="role_staff_flag")
def _role_changed(sender, instance, action: str, reverse: bool, **kwargs) -> None:
    """Roles given in the admin (the user's groups) carry admin-site access with them."""
    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    staff = instance.is_superuser or roles.role_of(instance) in (roles.OPERATOR,
                                                                roles.ADMINISTRATOR)
    if instance.is_staff != staff:
        instance.is_staff = staff
        instance.save(update_fields=["is_staff"])


@receiver(user_locked_out, dispatch_uid="security_lockout")
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """Once per lockout: axes signals again for every attempt refused while it lasts."""
    username = str(username or "")[:150]
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    if SecurityEvent.objects.filter(kind=EventKind.LOCKOUT, username=username,
                                    ip_address=ip_address, created__gte=since).exists():
        return
    audit.record("auth.lockout", username, ip_address=ip_address)
    events.record(EventKind.LOCKOUT, request=request, username=username)
