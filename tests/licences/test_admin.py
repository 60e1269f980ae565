"""Renaming and pricing a SKU in the admin: Administrators only, validated."""

from __future__ import annotations

import pytest

from m365admin.models import LicenceProduct

E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return LicenceProduct.objects.create(sku_id=E3, sku_part_number="ENTERPRISEPACK")


def _change(client, product, **fields):
    return client.post(f"/admin/m365admin/licenceproduct/{product.pk}/change/",
                       {"name": "", "monthly_price": "", "currency": "", **fields})


def test_an_administrator_renames_and_prices_a_sku(client, administrator, product):
    client.force_login(administrator)
    response = _change(client, product, name="E3 (staff)", monthly_price="23.00", currency="eur")
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.product_name, str(product.monthly_price), product.currency) == (
        "E3 (staff)", "23.00", "EUR")


def test_the_list_shows_the_published_name_until_renamed(client, administrator, product):
    client.force_login(administrator)
    assert "Office 365 E3" in client.get("/admin/m365admin/licenceproduct/").content.decode()


@pytest.mark.parametrize(("fields", "error"), [
    ({"monthly_price": "23", "currency": ""}, "A price needs its currency"),
    ({"monthly_price": "23", "currency": "EURO"}, "Ensure this value has at most 3 characters"),
    ({"monthly_price": "", "currency": "EUR"}, "A currency needs a price"),
    ({"monthly_price": "-1", "currency": "EUR"}, "greater than or equal to 0"),
])
def test_a_bad_price_is_refused_with_its_reason(client, administrator, product, fields, error):
    client.force_login(administrator)
    response = _change(client, product, **fields)
    assert response.status_code == 200 and error in response.content.decode()
    product.refresh_from_db()
    assert product.monthly_price is None and product.currency == ""


def test_an_operator_reads_but_cannot_change_a_price(client, operator, product):
    client.force_login(operator)
    assert client.get("/admin/m365admin/licenceproduct/").status_code == 200
    assert _change(client, product, monthly_price="1", currency="EUR").status_code == 403
    product.refresh_from_db()
    assert product.monthly_price is None
