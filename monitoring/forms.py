"""Forms shared by the admin and the alert pages."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.models import Alert, Silence

NOTE_MAX_LENGTH = 2000
# The silences offered beside an alert, by how long they last.
SILENCE_DURATIONS = {"1h": timedelta(hours=1), "4h": timedelta(hours=4),
                     "24h": timedelta(hours=24)}
SILENCE_CHOICES = [("1h", _("1 hour")), ("4h", _("4 hours")), ("24h", _("24 hours"))]


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Recorded with each alert's transition."),
    )


class AlertBulkForm(AlertNoteForm):
    """/alerts/: the ticked alerts, one move, one note (a silence's reason)."""

    alerts = forms.ModelMultipleChoiceField(
        label=_("Alerts"), queryset=Alert.objects.select_related("rule"), to_field_name="code",
        error_messages={"required": _("Tick at least one alert.")},
    )
    action = forms.ChoiceField(label=_("Action"), choices=[("acknowledge", _("Acknowledge")),
                                        ("resolve", _("Resolve")), ("silence", _("Silence"))])
    duration = forms.ChoiceField(label=_("Silence for"), choices=SILENCE_CHOICES,
                                 required=False, initial="1h")

    def clean(self):
        data = super().clean()
        if data.get("action") == "silence":
            if not data.get("note", "").strip():
                self.add_error("note", _("A silence needs a reason: write it in the note."))
            if data.get("duration") not in SILENCE_DURATIONS:
                self.add_error("duration", _("Choose how long the silence lasts."))
        return data


# A silence is for an outage or a maintenance window, not a way to switch a rule off.
SILENCE_MAX = timedelta(days=30)


class SilenceForm(forms.Form):
    """A silence made from an alert: its rule and each of its labels prefilled, each editable
    (a label left empty matches any value), and a reason."""

    duration = forms.ChoiceField(
        label=_("Silence for"), widget=forms.RadioSelect, initial="1h",
        choices=[*SILENCE_CHOICES, ("until", _("until…"))],
    )
    until = forms.DateTimeField(
        label=_("Until"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    same_rule = forms.BooleanField(required=False, initial=True)
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))

    @classmethod
    def as_offered(cls, alert: Alert, **data) -> SilenceForm:
        """Bound to what the alert's page offers (its rule and every label) and `data`: the
        dashboard's "Silence 1 h" is the page's form submitted as it comes."""
        offered = {"same_rule": "on", **{f"label_{name}": value
                                         for name, value in alert.labels.items()}}
        return cls({**offered, **data}, alert=alert)

    def __init__(self, *args, alert: Alert, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.alert = alert
        self.fields["same_rule"].label = _("Only alerts of the rule “%(rule)s”") % {
            "rule": alert.rule.title}
        for name, value in sorted(alert.labels.items()):
            self.fields[f"label_{name}"] = forms.CharField(
                label=_("Label “%(name)s”") % {"name": name}, required=False, initial=value,
                max_length=500, help_text=_("Empty: any value."),
            )

    def clean(self):
        data = super().clean()
        now = timezone.now()
        if data.get("duration") == "until":
            until = data.get("until")
            if until is None:
                self.add_error("until", _("Give the date and time the silence ends."))
            elif not now < until <= now + SILENCE_MAX:
                self.add_error("until", _("The end must be in the next 30 days."))
            data["ends"] = until
        elif data.get("duration") in SILENCE_DURATIONS:
            data["ends"] = now + SILENCE_DURATIONS[data["duration"]]
        data["matchers"] = {
            name: data[f"label_{name}"].strip() for name in sorted(self.alert.labels)
            if data.get(f"label_{name}", "").strip()
        }
        if not data["matchers"] and not data.get("same_rule"):
            raise forms.ValidationError(
                _("A silence must match something: keep the rule or a label."))
        return data

    def save(self, author) -> Silence:
        """The silence, applied at once and audited (Silence.create)."""
        data = self.cleaned_data
        return Silence.create(rule=self.alert.rule if data["same_rule"] else None,
                              matchers=data["matchers"], ends=data["ends"],
                              reason=data["reason"], author=author)
