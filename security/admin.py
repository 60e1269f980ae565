"""Security events: browsed and filtered, never edited.
IP rules: edited, never so as to lock out the admin editing them. Detection settings and
accepted risks: configuration, for Administrators."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from m365admin.lib.readonlyadmin import ReadOnlyAdmin
from security import iprules
from security.forms import detection_settings_form
from security.models import (
    DetectionException,
    DetectionSettings,
    IPRule,
    SecurityEvent,
)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["created", "kind", "severity", "ip_address", "username", "method", "path",
                    "location", "blocked", "count"]
    list_filter = ["kind", "severity", "blocked"]
    search_fields = ["ip_address", "username", "path"]
    date_hierarchy = "created"


class IPRuleForm(forms.ModelForm):
    client_ip: str | None = None  # the saving admin's address, set by IPRuleAdmin.get_form

    class Meta:
        model = IPRule
        fields = ["network", "action", "reason", "expires", "enabled"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        rule = IPRule(pk=self.instance.pk, **{name: cleaned.get(name) for name in
                                              ("network", "action", "expires", "enabled")})
        try:
            locked_out = iprules.would_refuse(rule, self.client_ip)
        except ValueError:
            return cleaned  # not a network: the field's own error says so
        if locked_out:
            raise ValidationError(
                _("Saving this rule would refuse your own address (%(address)s) and lock you "
                  "out. Add an allow rule that covers it first."),
                code="locks_out", params={"address": self.client_ip or _("unknown")},
            )
        return cleaned


@admin.register(IPRule)
class IPRuleAdmin(admin.ModelAdmin):
    form = IPRuleForm
    list_display = ["network", "action", "enabled", "expires", "reason", "author", "created"]
    list_filter = ["action", "enabled"]
    search_fields = ["network", "reason", "author"]
    readonly_fields = ["author", "created"]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.client_ip = request.client_ip  # a class made for this request alone
        return form

    def save_model(self, request: HttpRequest, obj: IPRule, form, change: bool) -> None:
        obj.author = request.user.get_username()
        super().save_model(request, obj, form, change)


class AdministratorsOnly(admin.ModelAdmin):
    """Configuration whose page permissions Operators hold (they read the settings' effects and
    accept risks on the threat pages, audited there): in the admin, only those who may delete
    it may open it at all, which is Administrators (security/roles.py)."""

    def _administers(self, request: HttpRequest) -> bool:
        codename = get_permission_codename("delete", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._administers(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._administers(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._administers(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._administers(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._administers(request) and super().has_delete_permission(request, obj)


@admin.register(DetectionSettings)
class DetectionSettingsAdmin(AdministratorsOnly):
    list_display = ["tenant", "brute_force_failures", "spray_accounts", "travel_speed_kmh",
                    "new_country_days", "inactive_days"]
    list_select_related = ["tenant"]
    search_fields = ["tenant__name"]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        return super().get_form(request, obj, change, form=detection_settings_form(), **kwargs)


@admin.register(DetectionException)
class DetectionExceptionAdmin(AdministratorsOnly):
    list_display = ["__str__", "tenant", "kind", "user", "network", "country", "reason",
                    "author", "created", "expires"]
    list_filter = ["kind", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["user", "network", "country", "reason", "author"]
    readonly_fields = ["author", "created"]
    date_hierarchy = "expires"

    def save_model(self, request: HttpRequest, obj: DetectionException, form,
                   change: bool) -> None:
        obj.author = request.user.get_username()
        super().save_model(request, obj, form, change)
