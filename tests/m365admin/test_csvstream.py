"""m365admin.lib.csvstream: formula cells are neutralised, everything else left as it is."""

from __future__ import annotations

import pytest

from m365admin.lib.csvstream import neutralise


@pytest.mark.parametrize("cell, shown", [
    ("=1+1", "'=1+1"),
    ("+81 3 1234", "'+81 3 1234"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab", "'\tTab"),
    ("\rReturn", "'\rReturn"),
    ("Adele = Vance", "Adele = Vance"),
    ("", ""),
    (-2, -2),  # numbers are written as numbers
    (None, None),
])
def test_neutralise(cell, shown):
    assert neutralise(cell) == shown
