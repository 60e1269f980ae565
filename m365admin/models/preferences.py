"""A person's own choices (time zone, language), read by every app that shows or sends them
something: pages, and the notification emails written in the recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PreferenceQuerySet(models.QuerySet["Preference"]):
    def by_email(self, addresses: list[str]) -> dict[str, Preference]:
        """The preferences of the people here with these email addresses, by lower-cased
        address (what notification emails are written with)."""
        if not addresses:
            return {}
        matching = Q()
        for address in addresses:
            matching |= Q(user__email__iexact=address)
        return {p.user.email.lower(): p for p in self.filter(matching).select_related("user")}


class Preference(models.Model):
    """What a person chose for their own pages (and the emails sent to them); one row per
    user, made on first save."""

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    # Empty until the person picks one (TIME_ZONE_DEFAULT applies).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # The language last picked with the switcher; empty until then.
    language = models.CharField(_("language"), max_length=10, blank=True,
                                choices=settings.LANGUAGES)

    objects = PreferenceQuerySet.as_manager()

    class Meta:
        # Its table from when preferences were the security app's: moved by state only (0011).
        db_table = "security_preference"
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user} {self.time_zone}"
