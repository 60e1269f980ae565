"""Secrets at rest: MultiFernet over the keys in settings.FERNET_KEYS.

The first key encrypts; every key decrypts, so a new key can be put in front and the old
values re-encrypted later without downtime.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted with any configured key."""


def parse_keys(keys: list[str], variable: str) -> list[Fernet]:
    """Turn the configured key strings into Fernets, naming the bad entry if one is malformed."""
    if not keys:
        raise ImproperlyConfigured(f"{variable} is empty: give at least one Fernet key.")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{variable}: key {position} is not a Fernet key (32 url-safe base64-encoded "
                "bytes). Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
    return fernets


@cache
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(parse_keys(list(keys), "FERNET_KEYS"))


def _current() -> MultiFernet:
    return _multifernet(tuple(settings.FERNET_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "no key in FERNET_KEYS decrypts this secret: restore the key it was encrypted with "
            "(var/fernet.keys in the default setup) or enter the secret again"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt under the first key (used by key rotation)."""
    return _current().rotate(token.encode()).decode()
