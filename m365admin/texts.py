"""Language-neutral messages: what a health check or a collector has to say, stored as a code
and its parameters (JSON) and put into words in the reader's language when shown.

A message is `{"code": "...", "params": {...}}`, made with `message()`. A parameter is a
literal (a name, a number, Graph's own words, which are not ours to translate), a message, or
a list of them (`items()`: joined with the language's separator). A plain string is a message
too: a literal, as older rows stored their English line.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

from m365admin.text_catalogue import SEPARATORS, TEMPLATES

Message = str | dict[str, Any]


def message(code: str, /, **params: Any) -> dict[str, Any]:
    """A message of a catalogued code; an unknown code fails here, where it is written."""
    if code not in TEMPLATES:
        raise KeyError(f"no template for the message code {code!r}")
    return {"code": code, "params": params}


def items(values: list[Any], separator: str = "comma") -> dict[str, Any]:
    """A list parameter: its values rendered and joined ("a, b"; "x; y" with "semicolon")."""
    return {"items": values, "separator": separator}


def render(value: Any, fallback: str = "") -> str:
    """The message in the active language; `fallback` when there is none (an old row)."""
    if value is None or value == "" or value == {}:
        return fallback
    if isinstance(value, dict) and "items" in value:
        separator = str(SEPARATORS[value.get("separator", "comma")])
        return separator.join(render(item) for item in value["items"])
    if isinstance(value, list):
        return str(SEPARATORS["comma"]).join(render(item) for item in value)
    if isinstance(value, dict) and value.get("code") in TEMPLATES:
        params = {name: _param(param) for name, param in (value.get("params") or {}).items()}
        return str(TEMPLATES[value["code"]] % params)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def english(value: Any, fallback: str = "") -> str:
    """The message in English: the log line, and the text column older readers know."""
    with translation.override("en"):
        return render(value, fallback)


def _param(value: Any) -> Any:
    # Numbers stay numbers: a plural template picks its form by one.
    return value if isinstance(value, int) and not isinstance(value, bool) else render(value)
