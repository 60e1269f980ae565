"""Typed readers for environment variables.

Each reader names the variable in its error, so a bad deployment stops at start-up with a
message an operator can act on instead of failing later somewhere else.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import overload

from django.core.exceptions import ImproperlyConfigured


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    # Only the two spellings Python prints: "yes", "1" or "on" are ambiguous across tools.
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}.")
    return value == "True"


def env_int(name: str, default: int, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {number}.")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None
    # float() also reads "nan" and "inf"; nan compares False with everything, so it would
    # slip past the minimum below.
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a finite number, not {value!r}.")
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} has no entries: give a comma-separated list.")
    return items


def env_rate(name: str, default: str) -> str:
    """A rate as django-ratelimit reads it: a count per s, m, h or d, or per several ("300/5m")."""
    value = env_str(name, default)
    if not re.fullmatch(r"[1-9]\d*/([1-9]\d*)?[smhd]", value):
        raise ImproperlyConfigured(
            f"{name} must be a count per period such as 100/m, 5000/h or 300/5m, not {value!r}."
        )
    return value


def env_secret(name: str) -> str | None:
    """A secret from `NAME` or from the file named by `NAME_FILE` (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}.") from None
    return env_str(name)


def secret_in_var(name: str, var_dir: Path, filename: str, generate: Callable[[], str]) -> str:
    """`NAME` (or `NAME_FILE`) if set, else a value generated once into `var_dir/filename`.

    The generated file is created with mode 0600 and never committed (var/ is ignored), so a
    fresh clone runs with no setup and a deployment can still pin its own value.
    """
    value = env_secret(name)
    if value:
        return value
    path = var_dir / filename
    if not path.exists():
        _create_once(name, var_dir, path, generate())
    value = path.read_text().strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set and {path} is empty: set {name}, or delete the file to have a "
            "new value generated (only if nothing was encrypted or signed with the old one)."
        )
    return value


def _create_once(name: str, var_dir: Path, path: Path, content: str) -> None:
    """Write `path` atomically unless it exists: a process starting at the same moment either
    wins or reads the winner's complete file, never an empty or half-written one."""
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as handle:  # mkstemp creates it with mode 0600
            handle.write(content)
        try:
            os.link(temporary, path)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name} is not set and {path} cannot be created ({exc.strerror}): "
            f"set {name} or make {var_dir} writable."
        ) from None
