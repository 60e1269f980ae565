"""Alert titles in the reader's language.

The stored summary stays the language-neutral record (the rule's name and the labels, in
English); pages, the API and notifications show a title built from translatable templates with
the rule and the labels as parameters. A rule someone named in the admin keeps its name, and
its alerts their summary.
"""

from __future__ import annotations

from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from m365admin.choices import Component
from m365admin.registry.detections import DETECTION_KINDS

# The rules the migrations seed (0003, 0005), by their stored English name.
_SEEDED = {
    "CPU above 80 %": gettext_lazy("CPU above 80 %"),
    "Memory above 85 %": gettext_lazy("Memory above 85 %"),
    "Disk above 90 %": gettext_lazy("Disk above 90 %"),
    "Response time p95 above 2 s": gettext_lazy("Response time p95 above 2 s"),
    "Error rate above 5 %": gettext_lazy("Error rate above 5 %"),
    "Microsoft 365 service degraded": gettext_lazy("Microsoft 365 service degraded"),
    "Collector failing 3 runs in a row": gettext_lazy("Collector failing 3 runs in a row"),
    "Notification channel failing": gettext_lazy("Notification channel failing"),
    "Repeated failed sign-ins": gettext_lazy("Repeated failed sign-ins"),
    "Account locked out": gettext_lazy("Account locked out"),
    "SQL injection attempts": gettext_lazy("SQL injection attempts"),
    "Cross-site scripting attempts": gettext_lazy("Cross-site scripting attempts"),
    "Requests from a denied IP address": gettext_lazy("Requests from a denied IP address"),
    "Rate limit exceeded": gettext_lazy("Rate limit exceeded"),
    "Revoked token reused": gettext_lazy("Revoked token reused"),
    "Repeated access denied": gettext_lazy("Repeated access denied"),
    "Tenant client secret expiring": gettext_lazy("Tenant client secret expiring"),
}
# "Component down: graph" and the like: one template per state, the component's own label.
_PER_COMPONENT = {
    "Component down: ": gettext_lazy("Component down: %(component)s"),
    "Component degraded: ": gettext_lazy("Component degraded: %(component)s"),
}
_LABEL_NAMES = {
    "component": gettext_lazy("component"), "service": gettext_lazy("service"),
    "collector": gettext_lazy("collector"), "ip": gettext_lazy("IP address"),
    "user": gettext_lazy("user"), "channel": gettext_lazy("channel"),
}


@cache
def _detections() -> dict[str, object]:
    """The detection rules (0007) are named after their kind's label, which is translated."""
    with translation.override("en"):
        return {str(kind.label): kind.label for kind in DETECTION_KINDS}


def rule_title(name: str) -> str:
    return _seeded_title(name) or name


def _seeded_title(name: str) -> str | None:
    for prefix, template in _PER_COMPONENT.items():
        component = name.removeprefix(prefix)
        if component != name and component in Component.values:
            return str(template) % {"component": Component(component).label}
    seeded = _SEEDED.get(name) or _detections().get(name)
    return str(seeded) if seeded else None


def alert_title(rule_name: str, labels: dict[str, str], summary: str) -> str:
    """"Password spray (IP address=203.0.113.9)" in the active language. An alert of a rule
    named in the admin keeps the summary written when it started."""
    title = _seeded_title(rule_name)
    if title is None:
        return summary
    # The tenant is shown on its own; a per-component name already names its component.
    shown = {"tenant"} | ({"component"} if rule_name.startswith(tuple(_PER_COMPONENT)) else set())
    where = ", ".join(f"{_label(name)}={_value(name, value)}"
                      for name, value in sorted(labels.items()) if name not in shown)
    return _("%(rule)s (%(labels)s)") % {"rule": title, "labels": where} if where else title


def _label(name: str) -> str:
    return str(_LABEL_NAMES.get(name, name))


def _value(name: str, value: str) -> str:
    if name == "component" and value in Component.values:
        return str(Component(value).label)
    return value
