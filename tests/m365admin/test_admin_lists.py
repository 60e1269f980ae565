"""The admin's change lists load the stylesheet that keeps long names inside their cells."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_change_lists_load_the_cell_styles(client, admin):
    client.force_login(admin)
    html = client.get("/admin/m365admin/directoryuser/").content.decode()
    assert 'href="/static/css/admin.css"' in html
    # Django's own page is still there around it.
    assert 'id="changelist"' in html
