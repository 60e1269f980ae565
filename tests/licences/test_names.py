"""Product names: Microsoft's published table, an Administrator's override, the part number."""

from __future__ import annotations

import pytest

from m365admin.licences.names import named_free, product_name, published_names
from m365admin.models import LicenceProduct, SubscribedSku
from tests.factories import make_rows, make_tenant

E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"


def test_the_published_table_names_the_common_skus():
    names = published_names()
    assert len(names) == 620
    assert names[E3] == "Office 365 E3"
    assert names["f30db892-07e9-47e9-837c-80727f46fd3d"] == "Microsoft Power Automate Free"


def test_a_name_is_the_override_then_the_published_one_then_the_part_number():
    assert product_name(E3.upper(), "ENTERPRISEPACK") == "Office 365 E3"
    assert product_name(E3, "ENTERPRISEPACK", "E3 (staff)") == "E3 (staff)"
    assert product_name("00000000-0000-0000-0000-00000000abcd", "CONTOSO_SKU") == "CONTOSO_SKU"


@pytest.mark.parametrize(("name", "free"), [
    ("Microsoft Power Automate Free", True), ("Microsoft Fabric (Free)", True),
    ("Business Apps (free)", True), ("Office 365 E3", False), ("Freelancer Suite", False),
])
def test_free_products_say_so_in_their_name(name, free):
    assert named_free(name) is free


@pytest.mark.django_db
def test_an_administrators_name_reaches_every_sku_of_that_id():
    tenant = make_tenant()
    make_rows(SubscribedSku, tenant, sku_id=E3, sku_part_number="ENTERPRISEPACK")
    LicenceProduct.objects.create(sku_id=E3, sku_part_number="ENTERPRISEPACK", name="E3 staff")
    assert SubscribedSku.objects.with_product().get().product_name == "E3 staff"
    # Without the annotation the published name is all a row knows.
    assert SubscribedSku.objects.get().product_name == "Office 365 E3"


@pytest.mark.django_db
def test_a_synced_sku_is_listed_for_naming_without_touching_existing_settings():
    tenant = make_tenant()
    skus = make_rows(SubscribedSku, tenant, 2)
    LicenceProduct.objects.create(sku_id=skus[0].sku_id, name="Kept", monthly_price=3,
                                  currency="EUR")
    LicenceProduct.note_seen(skus)
    kept = LicenceProduct.objects.get(sku_id=skus[0].sku_id)
    assert (kept.name, kept.monthly_price, kept.currency) == ("Kept", 3, "EUR")
    assert LicenceProduct.objects.get(sku_id=skus[1].sku_id).sku_part_number == skus[1].sku_part_number
