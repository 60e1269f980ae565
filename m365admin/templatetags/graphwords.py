"""`{{ value|graph_words:"kind" }}`: a coded value Graph sent ("notApplied", "private",
"Mobile Apps and Desktop clients"), in the reader's language; a list is joined with commas."""

from __future__ import annotations

from django import template
from django.db import models

from m365admin import choices

register = template.Library()

KINDS: dict[str, type[models.TextChoices]] = {
    "authentication": choices.AuthenticationRequirement,
    "client_app": choices.ClientApp,
    "conditional_access": choices.ConditionalAccessStatus,
    "risk_detail": choices.RiskDetail,
    "risk_event": choices.RiskEventType,
    "risk_level": choices.RiskLevel,
    "risk_state": choices.RiskState,
    "subscription": choices.SubscriptionStatus,
    "visibility": choices.TeamVisibility,
}


@register.filter
def graph_words(value: object, kind: str) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(choices.graph_words(KINDS[kind], item) for item in value)
    return choices.graph_words(KINDS[kind], value)
