"""Choices for monitoring: constants with their labels, compared by constant."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Component(models.TextChoices):
    """The six components whose health the dashboard shows, in display order."""

    API = "api", _("API")
    DATABASE = "database", _("Database")
    GRAPH = "graph", _("Microsoft Graph")
    EXCHANGE = "exchange", _("Exchange Online")
    AUTH = "auth", _("Authentication")
    CACHE = "cache", _("Cache and channel layer")


class HealthStatus(models.TextChoices):
    UP = "up", _("Up")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")


# Worse statuses sort higher: a component is as healthy as its worst part.
SEVERITY = {HealthStatus.UP: 0, HealthStatus.DEGRADED: 1, HealthStatus.DOWN: 2}


def worst(statuses) -> str:
    return max(statuses, key=SEVERITY.__getitem__, default=HealthStatus.UP)
