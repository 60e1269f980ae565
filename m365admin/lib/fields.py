"""Model fields shared by every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    _TextField = models.TextField[str, str]
else:  # the stubs' generic parameters do not exist at run time
    _TextField = models.TextField


class EncryptedTextField(_TextField):
    """A secret at rest: the column holds a Fernet token from `m365admin.lib.crypto`, never the
    plaintext (write it with `crypto.encrypt`, read it with `crypto.decrypt`).

    The type is the marker `rotate-keys` looks for in every installed app, so a new encrypted
    column is re-encrypted with the others without being listed anywhere
    (docs/architecture.md, "Adding an encrypted secret").
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)  # no secret yet is an empty string, not NULL
        kwargs.setdefault("editable", False)  # forms take the plaintext in a field of their own
        super().__init__(*args, **kwargs)
