"""Notifiers: one class per channel kind (email, webhook, Teams, Slack …), registered beside its
code with `@notifier` (monitoring/notifiers/<kind>.py), so adding a kind touches one folder.

The contract (healthchecks' Transport): a notifier is built from its channel's validated config
and decrypted secret; `send(delivery, alerts)` returns the receiver's HTTP status (or None) on
success and raises `TransportError(message, permanent)` on failure. The queue, retries and
delivery log around it are the same for every kind (monitoring/notify.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOTIFIERS: dict[str, type[Notifier]] = {}


class TransportError(Exception):
    """A delivery that failed; `permanent` when retrying cannot help (the receiver refuses)."""

    def __init__(self, message: str, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class ConfigError(ValueError):
    """A channel's config that its kind cannot use: `errors` maps each config field (or
    "config" for the whole) to what to fix."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = dict(errors)


class Notifier:
    """One channel kind. Subclasses set `kind`, `label`, `config_class` (a msgspec Struct: the
    types and ranges of the stored JSON), `form_fields` (the admin's fields, named like the
    config's), optionally `secret_required`, and implement `check` and `send`."""

    kind: ClassVar[str]
    label: ClassVar[StrOrPromise]  # lazily translated, shown wherever the kind is chosen
    config_class: ClassVar[type[msgspec.Struct]]
    form_fields: ClassVar[dict[str, Any]] = {}
    # The message shown when a channel of this kind is saved without a secret; None: no secret.
    secret_required: ClassVar[StrOrPromise | None] = None

    def __init__(self, config: Any, secret: str = "") -> None:
        self.config = config
        self.secret = secret

    @classmethod
    def load(cls, data: Any) -> Any:
        """The typed config from stored JSON, or ConfigError saying which field is wrong."""
        try:
            return msgspec.convert(data, cls.config_class)
        except msgspec.ValidationError as exc:
            raise ConfigError({_field_of(str(exc)): str(exc)}) from None

    @classmethod
    def parse(cls, data: Any) -> Any:
        """`load`, then `check`: what a channel must pass to be saved."""
        config = cls.load(data)
        cls.check(config)
        return config

    @classmethod
    def check(cls, config: Any) -> None:
        """Raise ConfigError for values of the right type that cannot work (a bad address)."""

    def send(self, delivery: Any, alerts: list[Any]) -> int | None:
        raise NotImplementedError


def _field_of(message: str) -> str:
    """The config field a msgspec error names ("… - at `$.url`", "… field `url`")."""
    found = re.search(r"`\$\.(\w+)`|field `(\w+)`", message)
    return next(filter(None, found.groups())) if found else "config"


def notifier(cls: type[Notifier]) -> type[Notifier]:
    """Register a Notifier subclass under its kind."""
    if cls.kind in NOTIFIERS and NOTIFIERS[cls.kind] is not cls:
        raise ValueError(f"two notifiers for the kind {cls.kind!r}")
    NOTIFIERS[cls.kind] = cls
    return cls


def get(kind: str) -> type[Notifier]:
    try:
        return NOTIFIERS[kind]
    except KeyError:
        raise ConfigError({"kind": f"no notifier for the kind {kind!r}; one of "
                                   f"{', '.join(sorted(NOTIFIERS))}"}) from None


def choices() -> list[tuple[str, StrOrPromise]]:
    """The kinds for the channel's `kind` field (a callable, so migrations never list them)."""
    return [(kind, cls.label) for kind, cls in sorted(NOTIFIERS.items())]

