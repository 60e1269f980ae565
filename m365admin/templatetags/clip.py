"""`{% clip value %}`: user-supplied text that cannot break a page.

Names come from tenants' directories: 256 characters without a space, or a right-to-left
override, must neither widen a table nor reverse the text around them. The text is cut with
an ellipsis inside its cell (whole in the hover title) and bidi-isolated.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def clip(value: object, empty: str = "") -> SafeString | str:
    if value in (None, ""):
        return empty
    return format_html('<span class="clip" title="{}"><bdi>{}</bdi></span>', value, value)
