"""m365admin.lib.keyset: cursors round-trip exactly and refuse anything not issued here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import signing

from m365admin.lib import keyset

WHEN = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)


def test_a_cursor_keeps_the_instant_to_the_microsecond_and_the_id():
    assert keyset.decode(keyset.encode(WHEN, 42)) == (WHEN, 42)


@pytest.mark.parametrize("cursor", [
    "", "garbage", keyset.encode(WHEN, 42)[:-2],
    signing.dumps([WHEN.isoformat(), 42], salt="another.purpose"),
    signing.dumps(["yesterday", 42], salt="m365admin.keyset"),
    signing.dumps({"created": WHEN.isoformat()}, salt="m365admin.keyset"),
], ids=["empty", "garbage", "truncated", "other salt", "bad time", "wrong shape"])
def test_it_refuses_a_cursor_it_did_not_issue(cursor):
    with pytest.raises(keyset.BadCursor):
        keyset.decode(cursor)
