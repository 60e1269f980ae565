"""The sign-in error codes explained (m365admin/lib/aadsts.py)."""

from __future__ import annotations

from django.utils import translation

from m365admin.lib import aadsts


def test_a_known_code_has_a_meaning_and_a_link():
    error = aadsts.describe(50126)
    assert error.label == "Wrong user name or password"
    assert error.doc_url == "https://login.microsoftonline.com/error?code=50126"


def test_an_unknown_code_shows_the_code_and_still_links():
    error = aadsts.describe(99999)
    assert error.meaning is None
    assert error.label == "AADSTS99999"
    assert error.doc_url.endswith("code=99999")


def test_meanings_are_translated():
    with translation.override("ja"):
        assert aadsts.describe(50126).label != "Wrong user name or password"
