"""Microsoft Teams: an Adaptive Card posted to a Workflows webhook."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from m365admin.registry.notifiers import notifier
from monitoring import chatcards
from monitoring.notifiers.base import ChatNotifier


@notifier
class TeamsNotifier(ChatNotifier):
    kind = "teams"
    label = _("Microsoft Teams (Workflows webhook)")
    message = staticmethod(chatcards.teams_card)
