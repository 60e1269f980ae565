"""Security event kinds and the sign-in detections that find them, registered beside their code.

A detection module (security/detections/<name>.py) declares everything about itself in one
`@detection(...)` call: the kind of event it records, its label and severity (the level its
events are recorded at by default and the level its alert rule counts from), its alert rule's
threshold, and its settings (typed thresholds with their defaults, validated here and stored
per tenant in `DetectionSettings.thresholds`). The app's own attack kinds (a failed sign-in, an
SQL injection) are registered with `register_kinds`, so every kind and its severity is known
here and monitoring reads them without importing security.

Registration order is the order the runner applies the detections and pages list their kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity

if TYPE_CHECKING:  # a str or a lazily translated one (gettext_lazy)
    from django_stubs_ext import StrOrPromise


Detect = TypeVar("Detect", bound=Callable[..., Any])


class Kind(str):
    """A security event kind: its value (what events store) with a label and a severity.

    A `str`, so it is stored, compared and used as a key like the value itself."""

    label: StrOrPromise
    severity: str
    # The alert rule seeded for a detection's kind fires at this many events (one: the
    # detection has already done the counting).
    alert_threshold: int

    def __new__(cls, value: str, label: StrOrPromise, severity: str,
                alert_threshold: int = 1) -> Self:
        kind = super().__new__(cls, value)
        kind.label, kind.severity, kind.alert_threshold = label, severity, alert_threshold
        return kind

    @property
    def value(self) -> str:
        return str(self)

    def __reduce__(self) -> tuple[type[Kind], tuple[str, StrOrPromise, str, int]]:
        return (Kind, (str(self), self.label, self.severity, self.alert_threshold))


@dataclass(frozen=True)
class Number:
    """A whole-number setting (a count, a window in minutes) of at least `minimum`."""

    name: str
    default: int
    label: StrOrPromise
    minimum: int = 0
    help_text: StrOrPromise = ""

    def clean(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("%(label)s: a whole number is required."),
                                  code="not_number", params={"label": self.label})
        if value < self.minimum:
            raise ValidationError(_("%(label)s: at least %(minimum)d."), code="below_minimum",
                                  params={"label": self.label, "minimum": self.minimum})
        return value

    def form_field(self) -> forms.Field:
        return forms.IntegerField(label=self.label, min_value=self.minimum,
                                  help_text=self.help_text)


@dataclass(frozen=True)
class Text:
    """A text setting: a list of accounts (`multiline`, one a line), codes or hours."""

    name: str
    default: str
    label: StrOrPromise
    max_length: int | None = None
    multiline: bool = False
    help_text: StrOrPromise = ""

    def clean(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(_("%(label)s: text is required."), code="not_text",
                                  params={"label": self.label})
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(_("%(label)s: at most %(max_length)d characters."),
                                  code="too_long",
                                  params={"label": self.label, "max_length": self.max_length})
        return value

    def form_field(self) -> forms.Field:
        return forms.CharField(label=self.label, required=False, max_length=self.max_length,
                               help_text=self.help_text, strip=False,
                               widget=forms.Textarea if self.multiline else None)


Setting = Number | Text


@dataclass(frozen=True)
class Detection:
    kinds: tuple[Kind, ...]
    settings: tuple[Setting, ...]
    detect: Callable[..., Any]  # detect(ctx) -> list[Finding] (security/detections/base.py)


# Every kind by value: the app's own, then the detections', in registration order.
KINDS: dict[str, Kind] = {}
# Each kind's severity by value (the same order): what an event is recorded at by default.
SEVERITIES: dict[str, str] = {}
DETECTIONS: list[Detection] = []
# The detections' kinds, as pages list them.
DETECTION_KINDS: list[Kind] = []
SETTINGS: dict[str, Setting] = {}


def register_kinds(*kinds: Kind) -> None:
    """Register kinds that no detection records (the app's own attack kinds)."""
    if len(set(kinds)) < len(kinds):
        raise ImproperlyConfigured(f"a kind is named twice in {list(kinds)}")
    for kind in kinds:
        _check_kind(kind)
    for kind in kinds:
        KINDS[kind] = kind
        SEVERITIES[kind] = kind.severity


def detection(kind: Kind, *also: Kind, settings: tuple[Setting, ...] | list[Setting] = ()
              ) -> Callable[[Detect], Detect]:
    """Register `detect(ctx)` as a detection recording `kind` (and the `also` kinds, for a
    detection that finds two related things, like a spray and a distributed spray), with its
    settings. Raises ImproperlyConfigured for a kind or setting name already registered or a
    setting whose default its own rules reject."""
    kinds = (kind, *also)
    declared = tuple(settings)

    def register(detect: Detect) -> Detect:
        _check_settings(declared)
        register_kinds(*kinds)  # checked before anything is registered
        DETECTION_KINDS.extend(kinds)
        SETTINGS.update((s.name, s) for s in declared)
        DETECTIONS.append(Detection(kinds, declared, detect))
        return detect

    return register


def _check_kind(kind: Kind) -> None:
    if not isinstance(kind, Kind):
        raise ImproperlyConfigured(f"{kind!r} is not a Kind")
    if kind in KINDS:
        raise ImproperlyConfigured(f"the event kind {kind.value!r} is already registered")
    if kind.severity not in Severity.values:
        raise ImproperlyConfigured(f"{kind.value}: {kind.severity!r} is not a severity")
    if not kind.value.isidentifier() or kind.value != kind.value.lower():
        raise ImproperlyConfigured(f"{kind.value!r}: a kind is a lower-case identifier")
    if isinstance(kind.alert_threshold, bool) or not isinstance(kind.alert_threshold, int) or (
            kind.alert_threshold < 1):
        raise ImproperlyConfigured(f"{kind.value}: the alert threshold is a count of at least 1")


def _check_settings(settings: tuple[Setting, ...]) -> None:
    names = [s.name for s in settings]
    for setting in settings:
        if not setting.name.isidentifier() or setting.name.startswith("_"):
            raise ImproperlyConfigured(f"{setting.name!r}: a setting name is an identifier")
        if setting.name in SETTINGS or names.count(setting.name) > 1:
            raise ImproperlyConfigured(f"the detection setting {setting.name!r} is already "
                                       "registered")
        try:
            setting.clean(setting.default)
        except ValidationError as error:
            raise ImproperlyConfigured(
                f"{setting.name}: its default {setting.default!r} is invalid: "
                f"{'; '.join(error.messages)}") from error


def defaults() -> dict[str, int | str]:
    """Every setting at its default: what a tenant's DetectionSettings starts with."""
    return {name: setting.default for name, setting in SETTINGS.items()}


def validate_settings(values: Any) -> None:
    """Stored thresholds: an object of registered setting names and valid values. Every
    problem is reported, each naming its setting."""
    if not isinstance(values, Mapping):
        raise ValidationError(_("Thresholds are an object of setting names and values."),
                              code="not_object")
    errors = [ValidationError(_("%(name)s is not a detection setting."), code="unknown_setting",
                              params={"name": name})
              for name in values if name not in SETTINGS]
    for name, value in values.items():
        if name in SETTINGS:
            try:
                SETTINGS[name].clean(value)
            except ValidationError as error:
                errors.append(error)
    if errors:
        raise ValidationError(errors)
