"""Is this text an SQL injection or cross-site scripting attempt?

libinjection (the tokenizer behind ModSecurity's @detectSQLi and @detectXSS) judges each
value in every form a database or browser might finally see: as sent, then URL-decoded,
HTML-entity-decoded, NFKC-normalised and stripped of invisible characters, repeated for
double encoding. It reads SQL and HTML tokens, not words, so prose such as "select a plan",
"O'Brien" or "Union Station" passes. The rules below add what it does not look for: script
URIs and CSS expressions outside a tag, and SQL it does not fingerprint (stacked
administrative statements, error-based and time-based functions, schema probes, CHAR/hex
encodings). They follow the OWASP Core Rule Set's families, kept narrow for the odd but
legitimate strings that M365 data is full of.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

import libinjection

from security.choices import EventKind

# Three rounds decode what was encoded twice on top of the one decoding the web server did,
# or URL encoding wrapped around HTML entities.
_DECODING_ROUNDS = 3

# Words, e-mail addresses, UPNs, GUIDs, numbers and ISO dates: no attack fits in these
# characters, and a JSON body of many short values costs a regex each instead of a decoding.
_PLAIN = re.compile(r"[\w.@:+-]*")

# Characters that render as nothing: control characters, soft hyphen, zero-width and joiner
# characters, bidirectional overrides and isolates, the byte order mark. Removed so that
# "SEL\u200bECT" or "java\x00script" reads as the word it hides.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff]"
)


# html.unescape reads a character reference's digits as an int, which Python refuses past
# 4,300 digits (ValueError). Browsers ignore leading zeros, and a number of more than eight
# digits names no character, so both are shortened first: the meaning stays the same.
_CHARREF = re.compile(r"&#(?:([xX])0*([0-9a-fA-F]+)|0*([0-9]+))")


@dataclass(frozen=True)
class Finding:
    kind: EventKind  # SQL_INJECTION or XSS
    rule: str


def inspect(value: str) -> list[Finding]:
    """The attacks found in `value`, each rule once, libinjection's verdicts first."""
    if _PLAIN.fullmatch(value):
        return []
    # Lone surrogates (JSON "\ud800") cannot be encoded for libinjection.
    value = value.encode("utf-8", "replace").decode()
    found: dict[Finding, None] = {}
    for form in decoded_forms(value):
        for finding in _check(form):
            found.setdefault(finding, None)
    return list(found)


def decoded_forms(value: str) -> list[str]:
    """`value`, then each distinct text that decoding it reveals."""
    forms = [value]
    for _ in range(_DECODING_ROUNDS):
        decoded = _INVISIBLE.sub("", unicodedata.normalize(
            "NFKC", _unescape(unquote(forms[-1]))
        ))
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def _unescape(text: str) -> str:
    return html.unescape(_CHARREF.sub(_short_charref, text))


def _short_charref(match: re.Match[str]) -> str:
    x, hex_digits, digits = match.groups()
    return f"&#{x}{hex_digits[:8]}" if x else f"&#{digits[:8]}"


def _check(text: str) -> Iterator[Finding]:
    if _libinjection_sqli(text):
        yield Finding(EventKind.SQL_INJECTION, "libinjection-sqli")
    if libinjection.is_xss(text)["is_xss"]:
        yield Finding(EventKind.XSS, "libinjection-xss")
    for kind, rule, pattern in _RULES:
        if pattern.search(text):
            yield Finding(kind, rule)


def _libinjection_sqli(text: str) -> bool:
    verdict = libinjection.is_sql_injection(text)
    fingerprint = verdict["fingerprint"]
    # A fingerprint that starts with a bare word fits short prose as well as an attack
    # ("Budget; execute (the plan)" is n;T(n, "cost = 5 or 6" is n&1): believed only with a
    # comment or a UNION in it. Stacked statements after a word are the rules' part.
    return bool(verdict["is_sqli"]) and (
        not fingerprint.startswith("n") or "c" in fingerprint or "U" in fingerprint
    )


# Rules ------------------------------------------------------------------------------------


def _scheme(name: str) -> str:
    # Browsers drop tabs and line breaks anywhere in a URL: "java\tscript:" still runs.
    return r"[\t\n\r]*".join(name)


# A table or column name, bare, dotted or quoted.
_NAME = r"[\w.\[\]`\"]+"

_SCRIPT_SCHEME = "|".join(_scheme(name) for name in ("javascript", "vbscript", "livescript"))

_RULE_PATTERNS = [
    # SQL injection --------------------------------------------------------------------------
    (EventKind.SQL_INJECTION, "sql-stacked-query",
     # A statement after ";", spelt out to its object and what follows, so that prose such as
     # "…; create table of contents" or "…; execute (the plan)" passes.
     r";\s*(?:(?:drop|alter|create|truncate)\s+(?:table|database|schema|view|user|login|"
     rf"function|procedure|trigger|index)\s+(?:if\s+(?:not\s+)?exists\s+)?{_NAME}\s*"
     r"(?:[;(,#]|--|/\*|$|\s+(?:add|drop|rename|modify|owner)\b)|"
     r"exec(?:ute)?\s*\(\s*@|exec(?:ute)?\s+(?:master\.|xp_|sp_)|"
     r"shutdown\s*(?:with\s+nowait\s*)?(?:;|--|#|/\*|$)|declare\s+@|select\s+\*\s+from\b|"
     rf"insert\s+into\s+{_NAME}\s*(?:\(|values\b|select\b)|"
     rf"delete\s+from\s+{_NAME}\s*(?:where\b|;|--|#|$)|update\s+{_NAME}\s+set\s+{_NAME}\s*=)"),
    (EventKind.SQL_INJECTION, "sql-time-delay",
     r"\b(?:pg_)?sleep\s*\(\s*\d+(?:\.\d+)?\s*\)|\bwaitfor\s+(?:delay|time)\s+['\"]\d|"
     r"\bbenchmark\s*\(\s*\d+\s*,|\bdbms_(?:lock\.sleep|pipe\.receive_message)\s*\(|"
     r"\brandomblob\s*\(\s*\d{6,}"),
    (EventKind.SQL_INJECTION, "sql-error-function",
     # Functions whose error message echoes a sub-query's result.
     r"\b(?:extractvalue|updatexml|gtid_subset|gtid_subtract|name_const|xmltype|"
     r"utl_inaddr\.get_host_(?:name|address)|ctxsys\.drithsx\.sn|dbms_xdb_version\.checkin)"
     r"\s*\(|\bconvert\s*\(\s*int\s*,|\bcast\s*\(\s*\(?\s*select\b"),
    (EventKind.SQL_INJECTION, "sql-schema-probe",
     r"\b(?:information_schema\s*\.\s*\w+|pg_catalog\s*\.\s*\w+|pg_shadow|sqlite_master|"
     r"sqlite_schema|mysql\s*\.\s*user|sysobjects|syscolumns|sys\s*\.\s*sql_logins|"
     r"master\s*\.\.\s*sysdatabases)\b|@@(?:version|datadir|hostname|basedir|servername|"
     r"tmpdir|spid)\b"),
    (EventKind.SQL_INJECTION, "sql-char-encoding",
     # Quotes and keywords spelt as CHAR() chains or hex, to pass filters that look for them.
     r"\b(?:n?char|chr)\s*\(\s*\d+\s*\)\s*(?:\+|\|\||,|&)\s*(?:n?char|chr)\s*\(|"
     r"\bconcat(?:_ws)?\s*\(\s*0x[0-9a-f]+|\bunhex\s*\(\s*['\"]?[0-9a-f]{2,}"),
    (EventKind.SQL_INJECTION, "sql-quote-comment",
     # MySQL's "#" comment ending a quoted value ("admin' #"), which libinjection lets pass.
     r"\w['\"`]\s*#\s*$"),
    # Cross-site scripting -------------------------------------------------------------------
    (EventKind.XSS, "xss-script-tag", r"<\s*/?\s*script\b"),
    (EventKind.XSS, "xss-event-handler",
     # An on…= attribute inside a tag, however the attributes are separated ("<img/onerror=").
     r"<[a-z][^<>]*?[\s/\"'`]on[a-z]{3,}\s*="),
    (EventKind.XSS, "xss-script-uri",
     # Followed by code: a call, an assignment or a comment, so "JavaScript: tips" passes.
     rf"(?:^|[\s\"'`=(,;<>])(?:{_SCRIPT_SCHEME})[\t\n\r ]*:\s*"
     r"(?:[\w$.\[\]'\"]+[(`=]|//|/\*|%[0-9a-f]{2})"),
    (EventKind.XSS, "xss-data-uri",
     r"\bdata\s*:\s*(?:text/html|text/xml|image/svg\+xml|application/(?:x-)?javascript|"
     r"application/xhtml\+xml|text/javascript)\b"),
    (EventKind.XSS, "xss-css-expression",
     # Old IE ran CSS expression() and behaviours; -moz-binding loaded XBL scripts.
     r":\s*expression\s*\(|(?:-moz-binding|behaviou?r)\s*:\s*url\s*\("),
]

_RULES = [(kind, rule, re.compile(pattern, re.IGNORECASE | re.DOTALL))
          for kind, rule, pattern in _RULE_PATTERNS]
