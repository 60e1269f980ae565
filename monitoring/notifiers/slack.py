"""Slack and compatible chats (Mattermost, Rocket.Chat): an incoming-webhook message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from m365admin.registry.notifiers import notifier
from monitoring import chatcards
from monitoring.notifiers.base import ChatNotifier


@notifier
class SlackNotifier(ChatNotifier):
    kind = "slack"
    label = _("Slack-compatible webhook")
    message = staticmethod(chatcards.slack_message)
