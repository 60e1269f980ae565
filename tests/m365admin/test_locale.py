"""locale/ja: every message translated, nothing fuzzy, and the committed .mo matches the .po."""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"
PO, MO = LC_MESSAGES / "django.po", LC_MESSAGES / "django.mo"


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def parse_po(text: str) -> list[Entry]:
    """A small .po reader: enough for what makemessages writes (obsolete #~ entries skipped)."""
    entries: list[Entry] = []
    entry, target = Entry(), None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgstr or entry.msgid:
            entries.append(entry)
        entry, target = Entry(), None

    for line in [*text.splitlines(), ""]:
        line = line.strip()
        # An entry ends at a blank line, or where the next one's comments or msgid begin
        # (makemessages writes the first entry right under the header, with no blank line).
        if not line or (entry.msgstr and not line.startswith('"')):
            finish()
        if not line:
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(target, int):
                entry.msgstr[target] += value
            else:
                setattr(entry, target, getattr(entry, target) + value)
        else:
            keyword, _, quoted = line.partition(" ")
            value = ast.literal_eval(quoted)
            if keyword.startswith("msgstr["):
                target = int(keyword[7:-1])
                entry.msgstr[target] = value
            elif keyword == "msgstr":
                target = 0
                entry.msgstr[0] = value
            else:
                target = keyword
                setattr(entry, keyword, value)
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO.read_text(encoding="utf-8"))


def test_the_catalogue_exists_and_is_not_empty(entries):
    assert MO.exists(), "run: manage.py compilemessages --ignore=.venv --ignore=var"
    assert len([e for e in entries if e.msgid]) > 100


def test_no_message_is_untranslated(entries):
    untranslated = [e.msgid for e in entries if e.msgid and not all(e.msgstr.values())]
    assert untranslated == []


def test_no_entry_is_fuzzy(entries):
    # The header included: msgfmt leaves fuzzy entries out of the .mo.
    assert [e.msgid or "(header)" for e in entries if "fuzzy" in e.flags] == []


def test_the_header_says_japanese_utf8(entries):
    (header,) = [e for e in entries if not e.msgid]
    assert "Language: ja\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


def test_the_committed_mo_holds_exactly_the_po_translations(entries):
    with MO.open("rb") as handle:
        catalog = dict(gettext.GNUTranslations(handle)._catalog)
    expected: dict = {}
    for entry in entries:
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            expected.update({(entry.key, n): text for n, text in entry.msgstr.items()})
    # msgfmt leaves the POT-Creation-Date out of the compiled header.
    expected[""] = "".join(line for line in expected[""].splitlines(keepends=True)
                           if not line.startswith("POT-Creation-Date:"))
    assert catalog == expected, "the .mo is stale: run manage.py compilemessages"


def test_msgfmt_accepts_the_po_and_its_placeholders(tmp_path):
    if shutil.which("msgfmt") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("msgfmt (gettext) must be installed in CI")
        pytest.skip("msgfmt is not installed (apt install gettext)")
    compiled = tmp_path / "django.mo"
    # The same call Django's compilemessages makes; --check-format also catches bad %(name)s.
    done = subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(PO)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # Bytes differ between gettext versions; the catalogue itself is compared above.


# The reader itself, on the cases the real catalogue may not contain yet.
def test_the_po_reader_handles_context_plurals_continuations_and_flags():
    text = '''
#, fuzzy
msgid ""
msgstr ""
"Language: ja\\n"
#: a.py:1
#, python-format
msgctxt "month"
msgid "May"
msgstr "5月"

msgid "%(n)s user"
msgid_plural "%(n)s users"
msgstr[0] ""
"%(n)s 人の"
"ユーザー"

#~ msgid "gone"
#~ msgstr "消えた"
'''
    header, month, users = parse_po(text)
    assert header.flags == {"fuzzy"} and header.msgstr[0] == "Language: ja\n"
    assert month.key == "month\x04May" and month.flags == {"python-format"}
    assert users.msgid_plural == "%(n)s users" and users.msgstr == {0: "%(n)s 人のユーザー"}
