"""Model fields of the security app."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class CIDRField(models.CharField):
    """An IPv4 or IPv6 network in CIDR notation (a bare address is a /32 or /128).

    Stored normalised (host bits cleared, IPv6 compressed: "10.1.2.3/8" is "10.0.0.0/8"), so
    one network is always the same text, which the unique constraints rely on.
    """

    default_error_messages = {
        "invalid_cidr": _("“%(value)s” is not a network in CIDR notation. Enter an address or "
                          "a network such as 192.0.2.0/24 or 2001:db8::/32."),
    }

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 43)  # the longest: eight full IPv6 groups and "/128"
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return str(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValidationError(self.error_messages["invalid_cidr"], code="invalid_cidr",
                                  params={"value": value}) from None

    def pre_save(self, model_instance, add):
        # Saves that skip validation (the shell, fixtures) are normalised too.
        value = self.to_python(super().pre_save(model_instance, add))
        setattr(model_instance, self.attname, value)
        return value
