"""SignInAdmin: search is exact-match (a LIKE over every partition would scan them all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin.models import SignIn
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
URL = "/admin/m365admin/signin/"


@pytest.fixture
def sign_ins():
    return make_rows(
        SignIn, make_tenant(), 3,
        created=lambda i: NOW - timedelta(minutes=i),
        graph_id=lambda i: f"66ea54eb-6301-4ee5-be62-ff5a759b8{i:03}",
        correlation_id=lambda i: f"corr-{i}",
        user_principal_name=lambda i: ["adele@contoso.com", "adele@contoso.com.evil.example",
                                       "alex@contoso.com"][i],
    )


def _found(client, term: str) -> list[str]:
    response = client.get(URL, {"q": term})
    assert response.status_code == 200
    return [obj.graph_id for obj in response.context["cl"].result_list]


@pytest.mark.parametrize("field", ["user_principal_name", "graph_id", "correlation_id"])
def test_it_finds_a_sign_in_by_exact_value(client, admin, sign_ins, field):
    client.force_login(admin)
    assert _found(client, getattr(sign_ins[0], field)) == [sign_ins[0].graph_id]


def test_surrounding_spaces_are_ignored(client, admin, sign_ins):
    client.force_login(admin)
    assert _found(client, "  alex@contoso.com ") == [sign_ins[2].graph_id]


@pytest.mark.parametrize("term", ["adele", "contoso.com", "ADELE@CONTOSO.COM", "66ea54eb"])
def test_a_partial_term_finds_nothing(client, admin, sign_ins, term):
    client.force_login(admin)
    assert _found(client, term) == []


def test_no_term_lists_everything_newest_first(client, admin, sign_ins):
    client.force_login(admin)
    assert _found(client, "") == [s.graph_id for s in sign_ins]
