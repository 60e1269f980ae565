"""Forms of the security pages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.models import Tenant
from m365admin.registry import detections as registry
from security.choices import DETECTION_KINDS, Verdict
from security.models import DetectionException, DetectionSettings


class CodeForm(forms.Form):
    """One code: six digits from the authenticator app, or (where offered) a recovery code."""

    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "spellcheck": "false", "autocapitalize": "off"}),
    )


# Threat pages -------------------------------------------------------------------------------


def tenant_choice() -> forms.ModelChoiceField:
    """A tenant by its public code, as the explorers take it; empty for every tenant."""
    return forms.ModelChoiceField(
        queryset=Tenant.objects.order_by("name"), to_field_name="code", required=False,
        label=_("Tenant"), empty_label=_("All tenants"),
        # One message for a malformed code and an unknown one: neither names a tenant.
        error_messages={"invalid_choice": _("No tenant has this code.")},
    )


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=Verdict.choices,
                                widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


# How far ahead an accepted risk may expire: a risk is accepted for a while, then looked at again.
MAX_ACCEPTED_DAYS = 365


class AcceptedRiskForm(forms.ModelForm):
    """An accepted risk from an event's page: the event's tenant, the scope as prefilled (or
    narrowed or widened), a reason, and an expiry day at most MAX_ACCEPTED_DAYS ahead."""

    expires_on = forms.DateField(
        label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Accepted up to the end of this day (at most 365 days ahead)."))

    class Meta:
        model = DetectionException
        fields = ["kind", "user", "network", "country", "reason"]
        widgets = {"reason": forms.TextInput(attrs={"size": 60})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Every detection")),
                                       *((k.value, k.label) for k in DETECTION_KINDS)]
        self.fields["reason"].required = True

    def clean_user(self) -> str:
        return self.cleaned_data["user"].strip().lower()

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise ValidationError(_("Enter a two-letter country code, e.g. JP."))
        return country

    def clean_expires_on(self) -> date:
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day < today:
            raise ValidationError(_("The expiry date is in the past."))
        if day > today + timedelta(days=MAX_ACCEPTED_DAYS):
            raise ValidationError(_("A risk can be accepted for at most %(days)d days.")
                                  % {"days": MAX_ACCEPTED_DAYS})
        # The end of that day in the site's time zone: the start of the next one.
        self.instance.expires = timezone.make_aware(
            datetime.combine(day + timedelta(days=1), time.min))
        return day


class TimelineForm(forms.Form):
    tenant = tenant_choice()
    user = forms.CharField(label=_("User (UPN)"), max_length=320)


class PostureForm(forms.Form):
    tenant = tenant_choice()
    days = forms.TypedChoiceField(
        label=_("Days without sign-in"), coerce=int, required=False, empty_value=None,
        choices=[("", _("The tenant's setting")),
                 *DetectionSettings._meta.get_field("inactive_days").choices])


# Admin ---------------------------------------------------------------------------------------


class DetectionSettingsForm(forms.ModelForm):
    """A tenant's detection settings, one field per registered setting (typed and validated
    by its declaration), stored together in `thresholds`."""

    class Meta:
        model = DetectionSettings
        fields = ["tenant", "inactive_days"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in registry.SETTINGS:
            self.fields[name].initial = self.instance.value(name)

    def clean(self) -> dict:
        data = super().clean()
        # The model validates the object too (what the API or a script would store).
        self.instance.thresholds = {name: data[name] for name in registry.SETTINGS
                                    if name in data}
        return data


def detection_settings_form() -> type[DetectionSettingsForm]:
    """The form with the settings registered now (the detections register after the forms
    module loads, and tests may add one)."""
    fields = {name: setting.form_field() for name, setting in registry.SETTINGS.items()}
    return type("DetectionSettingsForm", (DetectionSettingsForm,), fields)
