"""{% clip %}: user-supplied text cut in its cell, whole in the title, bidi-isolated, escaped."""

from __future__ import annotations

from django.template import Context, Template


def _render(value) -> str:
    return Template("{% load clip %}{% clip value '—' %}").render(Context({"value": value}))


def test_it_isolates_and_titles_the_text():
    assert _render("Eve \u202egnp.exe") == (
        '<span class="clip" title="Eve \u202egnp.exe"><bdi>Eve \u202egnp.exe</bdi></span>')


def test_it_escapes_markup_in_the_text_and_the_title():
    html = _render('<script>alert(1)</script>"')
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;&quot;") == 2


def test_empty_text_shows_the_placeholder():
    assert _render("") == "—"
    assert _render(None) == "—"
