"""The messages chat tools receive: a Microsoft Teams Adaptive Card (for a Workflows "When a
Teams webhook request is received" flow) and a Slack-compatible message (Slack, Mattermost,
Rocket.Chat incoming webhooks). Pure functions of the delivery and its alerts; the Teams and
Slack notifiers (monitoring/notifiers/) post them. Titles are in the installation's language
(monitoring.alerts.titles)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from m365admin.choices import SEVERITY_RANK
from monitoring.alerts.reasons import why
from monitoring.choices import NotificationEvent
from monitoring.models import Alert, Delivery

# Adaptive Card colours (TextBlock `color`, Container `style`) by the worst severity.
_CARD_COLOUR = {"critical": "attention", "error": "attention", "warning": "warning",
                "info": "accent"}
# Slack attachment bar colours.
_SLACK_COLOUR = {"critical": "#b3261e", "error": "#d93f0b", "warning": "#e0a100",
                 "info": "#1f6feb", "resolved": "#2e7d32", "test": "#6e7781"}
# A chat message lists this many alerts, then "and N more".
SHOWN = 10


def _headline(delivery: Delivery, alerts: list[Alert]) -> str:
    if delivery.event == NotificationEvent.TEST:
        return _("Test message from m365admin: this channel works.")
    if delivery.event == NotificationEvent.RESOLVED:
        text = ngettext("Resolved: %(count)d alert", "Resolved: %(count)d alerts", len(alerts))
    else:
        text = ngettext("Firing: %(count)d alert", "Firing: %(count)d alerts", len(alerts))
    return text % {"count": len(alerts)}


def _worst(delivery: Delivery, alerts: list[Alert]) -> str:
    if delivery.event != NotificationEvent.FIRING or not alerts:
        return "resolved" if delivery.event == NotificationEvent.RESOLVED else "test"
    return max((a.severity for a in alerts), key=SEVERITY_RANK.__getitem__)


def link(alert: Alert | None = None) -> str | None:
    """An absolute link to the alert (or the list), when PUBLIC_URL says where the app is: in
    chat messages and emails."""
    if not settings.PUBLIC_URL:
        return None
    path = alert.get_absolute_url() if alert else "/alerts/"
    return settings.PUBLIC_URL.rstrip("/") + path


def _line(alert: Alert) -> str:
    tenant = f" · {alert.tenant.name}" if alert.tenant else ""
    return f"[{alert.get_severity_display()}] {alert.title}{tenant}"


def teams_card(delivery: Delivery, alerts: list[Alert]) -> dict:
    """A message with one Adaptive Card 1.4 attachment: the envelope Teams Workflows' webhook
    trigger expects (tests/monitoring/samples/teams_workflows_card.json)."""
    worst = _worst(delivery, alerts)
    colour = _CARD_COLOUR.get(worst, "good" if worst == "resolved" else "default")
    body: list[dict] = [{
        "type": "Container", "style": colour, "bleed": True, "items": [{
            "type": "TextBlock", "text": _headline(delivery, alerts), "weight": "bolder",
            "size": "medium", "wrap": True,
        }],
    }]
    for alert in alerts[:SHOWN]:
        facts = [{"title": _("Severity"), "value": alert.get_severity_display()},
                 {"title": _("Tenant"), "value": alert.tenant.name if alert.tenant else "—"}]
        url = link(alert)
        item = {"type": "Container", "separator": True, "items": [
            {"type": "TextBlock", "text": alert.title, "wrap": True, "weight": "bolder",
             "color": _CARD_COLOUR[alert.severity]},
            *([{"type": "TextBlock", "text": reason, "wrap": True, "isSubtle": True}]
              if (reason := why(alert)) else []),
            {"type": "FactSet", "facts": facts},
        ]}
        if url:
            item["selectAction"] = {"type": "Action.OpenUrl", "url": url}
        body.append(item)
    if len(alerts) > SHOWN:
        body.append({"type": "TextBlock", "wrap": True, "isSubtle": True,
                     "text": _("and %(count)d more") % {"count": len(alerts) - SHOWN}})
    card: dict = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                  "type": "AdaptiveCard", "version": "1.4", "msteams": {"width": "Full"},
                  "body": body}
    if link():
        card["actions"] = [{"type": "Action.OpenUrl", "title": _("Open the alerts"),
                            "url": link()}]
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": card,
    }]}


def slack_message(delivery: Delivery, alerts: list[Alert]) -> dict:
    """`text` (what every Slack-compatible receiver shows, and notifications preview) and one
    coloured attachment listing the alerts, each linked when PUBLIC_URL is set."""
    lines = []
    for alert in alerts[:SHOWN]:
        url = link(alert)
        lines.append(f"<{url}|{_line(alert)}>" if url else _line(alert))
    if len(alerts) > SHOWN:
        lines.append(_("and %(count)d more") % {"count": len(alerts) - SHOWN})
    return {"text": _headline(delivery, alerts), "attachments": [{
        "color": _SLACK_COLOUR[_worst(delivery, alerts)], "text": "\n".join(lines),
        "mrkdwn_in": ["text"],
    }]}
