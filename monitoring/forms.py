"""Forms shared by the admin and the alert pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Recorded with each alert's transition."),
    )
