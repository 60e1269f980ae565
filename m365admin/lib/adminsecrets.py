"""Write-only secret fields in the admin: never rendered back, left blank to keep the secret.

A form field such as `client_secret` shares its name with the model's decrypting method. On a
view-only page the admin renders form fields as read-only values by calling the model attribute
of the same name, which would show a Viewer the decrypted secret; the field is dropped there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups


class WriteOnlySecretsAdmin(admin.ModelAdmin[Any]):
    write_only_fields: tuple[str, ...] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        fields = super().get_fields(request, obj)
        editable = (self.has_add_permission(request) if obj is None
                    else self.has_change_permission(request, obj))
        return fields if editable else [f for f in fields if f not in self.write_only_fields]


class WriteOnlySecretForm(forms.ModelForm[Any]):
    """Stores `secret_field` through the model's `secret_setter` when one was entered."""

    secret_field = "secret"  # noqa: S105 — a field name, not a secret
    secret_setter = "set_secret"  # noqa: S105 — a method name

    def save(self, commit: bool = True) -> Any:
        instance = super().save(commit=False)
        if self.cleaned_data.get(self.secret_field):
            getattr(instance, self.secret_setter)(self.cleaned_data[self.secret_field])
        if commit:
            instance.save()
        return instance
