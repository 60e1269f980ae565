"""A small OData `$filter` parser/evaluator and query-option helpers.

Only the grammar our collectors and tests use: and/or/not, eq ne gt ge lt le, in (...),
startsWith/endsWith/contains, lambda any/all, `/$count`, and quoted strings, unquoted
GUIDs, numbers, booleans, null and DateTimeOffset literals. Each API validates the parsed tree
itself (which properties and operators it allows), as Graph does per resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .clock import parse_iso

Node = tuple[Any, ...]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<dt>\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)(?![\w-])
    | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
    | (?P<num>-?\d+(?:\.\d+)?)(?![\w-])
    | (?P<punct>[(),:])
    | (?P<word>[A-Za-z_$][A-Za-z0-9_$./]*)
    )""",
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FUNCTIONS = {"startswith", "endswith", "contains"}
_OPTIONS = {"select", "filter", "top", "skip", "skiptoken", "count", "orderby", "search",
            "expand", "format", "deltatoken"}


class FilterError(ValueError):
    """The $filter text does not parse."""


@dataclass(frozen=True)
class DateLiteral:
    us: int


def parse_query(raw: str) -> dict[str, str]:
    """Query options with lower-cased names; the `$` prefix is optional on Graph v1.0."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        name = key.lower()
        if name in _OPTIONS:
            name = "$" + name
        out[name] = value
    return out


def parse_select(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# Parsing

def parse_filter(text: str) -> Node:
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    node = parser.parse_or()
    if parser.pos != len(tokens):
        raise FilterError(f"Syntax error at position {parser.pos} in '{text}'.")
    return node


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FilterError(f"Syntax error at position {pos} in '{text}'.")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            tokens.append(("lit", value[1:-1].replace("''", "'")))
        elif kind == "dt":
            try:
                moment = value if "T" in value else value + "T00:00:00Z"
                tokens.append(("lit", DateLiteral(parse_iso(moment))))
            except ValueError as exc:
                raise FilterError(f"Invalid DateTimeOffset literal '{value}'.") from exc
        elif kind == "guid":
            tokens.append(("lit", value))
        elif kind == "num":
            tokens.append(("lit", float(value) if "." in value else int(value)))
        else:
            tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, Any]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", None)

    def take(self) -> tuple[str, Any]:
        token = self.peek()
        if token[0] == "end":
            raise FilterError("Unexpected end of $filter.")
        self.pos += 1
        return token

    def expect(self, punct: str) -> None:
        kind, value = self.take()
        if kind != "punct" or value != punct:
            raise FilterError(f"Expected '{punct}' in $filter.")

    def is_word(self, *words: str) -> bool:
        kind, value = self.peek()
        return kind == "word" and value.lower() in words

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.is_word("or"):
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_unary()
        while self.is_word("and"):
            self.take()
            node = ("and", node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        if self.is_word("not"):
            self.take()
            return ("not", self.parse_unary())
        if self.peek() == ("punct", "("):
            self.take()
            node = self.parse_or()
            self.expect(")")
            return node
        left = self.parse_operand()
        if self.is_word(*COMPARISONS):
            op = self.take()[1].lower()
            return ("cmp", op, left, self.parse_operand())
        if self.is_word("in"):
            self.take()
            self.expect("(")
            values = [self.parse_operand()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.parse_operand())
            self.expect(")")
            return ("in", left, values)
        return left

    def parse_operand(self) -> Node:
        kind, value = self.take()
        if kind == "lit":
            return ("lit", value)
        if kind != "word":
            raise FilterError("Expected an operand in $filter.")
        lowered = value.lower()
        if lowered in ("true", "false"):
            return ("lit", lowered == "true")
        if lowered == "null":
            return ("lit", None)
        if self.peek() == ("punct", "("):
            self.take()
            head, _, tail = value.rpartition("/")
            if head and tail.lower() in ("any", "all"):
                var = self.take()[1]
                self.expect(":")
                body = self.parse_or()
                self.expect(")")
                return ("lambda", tail.lower(), head.split("/"), var, body)
            if lowered not in FUNCTIONS:
                raise FilterError(f"Unknown function '{value}'.")
            args = [self.parse_operand()]
            while self.peek() == ("punct", ","):
                self.take()
                args.append(self.parse_operand())
            self.expect(")")
            return ("call", lowered, args)
        if lowered.endswith("/$count"):
            return ("count", value[: -len("/$count")].split("/"))
        return ("path", value.split("/"))


# Inspection

def walk(node: Node) -> Iterator[Node]:
    yield node
    kind = node[0]
    if kind in ("and", "or"):
        yield from walk(node[1])
        yield from walk(node[2])
    elif kind == "not":
        yield from walk(node[1])
    elif kind == "cmp":
        yield from walk(node[2])
        yield from walk(node[3])
    elif kind == "in":
        yield from walk(node[1])
        for value in node[2]:
            yield from walk(value)
    elif kind == "call":
        for arg in node[2]:
            yield from walk(arg)
    elif kind == "lambda":
        yield from walk(node[4])


def conjuncts(node: Node) -> list[Node]:
    if node[0] == "and":
        return conjuncts(node[1]) + conjuncts(node[2])
    return [node]


def path_name(node: Node) -> str | None:
    return "/".join(node[1]) if node[0] in ("path", "count") else None


# Evaluation

def matches(node: Node, obj: dict[str, Any]) -> bool:
    return bool(_eval(node, obj, {}))


def _lookup(obj: Any, key: str) -> Any:
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    lowered = key.lower()
    for name, value in obj.items():
        if name.lower() == lowered:
            return value
    return None


def _resolve(segments: list[str], obj: Any, env: dict[str, Any]) -> Any:
    first, rest = segments[0], segments[1:]
    value = env[first] if first in env else _lookup(obj, first)
    for segment in rest:
        value = _lookup(value, segment)
    return value


def _eval(node: Node, obj: Any, env: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "and":
        return _eval(node[1], obj, env) and _eval(node[2], obj, env)
    if kind == "or":
        return _eval(node[1], obj, env) or _eval(node[2], obj, env)
    if kind == "not":
        return not _eval(node[1], obj, env)
    if kind == "lit":
        return node[1]
    if kind == "path":
        return _resolve(node[1], obj, env)
    if kind == "count":
        return len(_resolve(node[1], obj, env) or [])
    if kind == "cmp":
        return _compare(node[1], _eval(node[2], obj, env), _eval(node[3], obj, env))
    if kind == "in":
        left = _eval(node[1], obj, env)
        return any(_compare("eq", left, _eval(value, obj, env)) for value in node[2])
    if kind == "call":
        args = [_eval(arg, obj, env) for arg in node[2]]
        if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
            return False
        text, part = args[0].casefold(), args[1].casefold()
        if node[1] == "startswith":
            return text.startswith(part)
        if node[1] == "endswith":
            return text.endswith(part)
        return part in text
    if kind == "lambda":
        items = _resolve(node[2], obj, env) or []
        def test(item: Any) -> Any:
            return _eval(node[4], obj, {**env, node[3]: item})

        return any(map(test, items)) if node[1] == "any" else all(map(test, items))
    raise FilterError(f"Unsupported node {kind}")


def _normalise(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(right, DateLiteral) or isinstance(left, DateLiteral):
        return _as_us(left), _as_us(right)
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    return left, right


def _as_us(value: Any) -> int | None:
    if isinstance(value, DateLiteral):
        return value.us
    if isinstance(value, str) and value:
        try:
            return parse_iso(value)
        except ValueError:
            return None
    return None


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _normalise(left, right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None or isinstance(left, bool) != isinstance(right, bool):
        return False
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False
