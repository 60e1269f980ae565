"""The tenant form, shared by the onboarding page and the admin.

The client secret is write-only: required for a new tenant, and on edit left blank to keep the
stored one. Its expiry date is asked for with it, so an alert can come before syncs stop.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from m365admin.lib.adminsecrets import WriteOnlySecretForm
from m365admin.models import Tenant
from m365admin.models.tenants import SECRET_NOTICE_DAYS


class TenantForm(WriteOnlySecretForm):
    secret_field, secret_setter = "client_secret", "set_client_secret"
    # Write-only: never rendered back.
    client_secret = forms.CharField(
        label=gettext_lazy("Client secret"),
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        error_messages={"required": gettext_lazy("A new tenant needs its client secret.")},
    )

    class Meta:
        model = Tenant
        fields = ["name", "tenant_id", "client_id", "client_secret", "secret_expires",
                  "authority_url", "graph_url", "enabled"]
        widgets = {"secret_expires": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "tenant_id": gettext_lazy("The Directory (tenant) ID from the app's overview page, "
                                      "or one of the tenant's verified domains "
                                      "(contoso.onmicrosoft.com)."),
            "client_id": gettext_lazy("The Application (client) ID from the same page."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing: bool = self.instance.has_client_secret()
        # The admin's view-only page builds this form without the fields it shows read-only.
        if secret := self.fields.get("client_secret"):
            secret.required = not self.editing
            secret.help_text = (
                _("Stored encrypted. Leave blank to keep the current secret.") if self.editing
                else _("The secret's Value (not its Secret ID). Stored encrypted and never "
                       "shown again.")
            )
        if expires := self.fields.get("secret_expires"):
            expires.required = not self.editing
            expires.help_text = _("The Expires date Entra ID shows for this secret. An alert "
                                  "is raised %(days)d days before it.") % {
                                      "days": SECRET_NOTICE_DAYS}

    def _https(self, name: str) -> str:
        # The URL field's cleaned value, a str (clean_<name> runs only after it is cleaned).
        url = cast("str", self.cleaned_data.get(name))
        # msal refuses an identity platform without TLS, and a token must never travel in clear.
        if url and not url.lower().startswith("https://"):
            raise forms.ValidationError(_("Enter an https:// address."))
        return url

    def clean_authority_url(self) -> str:
        return self._https("authority_url")

    def clean_graph_url(self) -> str:
        return self._https("graph_url")

    def clean_secret_expires(self) -> date | None:
        expires = self.cleaned_data.get("secret_expires")
        # An unchanged date on edit is not re-judged: the alert already says it has passed.
        if expires and "secret_expires" in self.changed_data and expires < timezone.localdate():
            raise forms.ValidationError(_(
                "This date has passed: the secret no longer works. Create a new secret in "
                "Entra ID and enter it with its expiry date."))
        return expires

    def clean(self) -> dict[str, Any]:
        # ModelForm.clean returns cleaned_data; the stubs allow None for a subclass's clean.
        cleaned = cast("dict[str, Any]", super().clean())
        new_secret = cleaned.get("client_secret")
        if self.editing and new_secret and "secret_expires" not in self.changed_data:
            self.add_error("secret_expires", _("A new secret has a new expiry date: enter it."))
        return cleaned

    def secret_changed(self) -> bool:
        return bool(self.cleaned_data.get("client_secret"))
