"""/licences/: the figures on the page, in its CSV files and in the API are the same."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import translation

from m365admin.models import SubscribedSku
from tests.factories import make_rows
from tests.licences.conftest import E3, FLOW_FREE

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_page_shows_products_waste_and_the_reclaim_list(client, viewer, estate):
    client.force_login(viewer)
    page = client.get("/licences/?days=30")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Office 365 E3" in html and "Microsoft Power Automate Free" in html
    assert "activity unknown — needs Entra ID P1" in html
    report = page.context["report"]
    assert (report.totals.unused, report.totals.disabled, report.totals.inactive) == (6, 2, 2)
    # Contoso: disabled, idle45, idle100; Fabrikam: f3 (disabled) only, never the silent ones.
    assert {r.user.graph_id for r in page.context["reclaim"]} == {"disabled", "idle45", "idle100",
                                                                  "f3"}


def test_waste_sums_agree_on_the_page_the_csv_and_the_api(client, viewer, estate):
    client.force_login(viewer)
    page = client.get("/licences/?days=14").context["report"]
    rows = _csv(client.get("/licences/export.csv?days=14"))
    api = client.get("/api/v1/licences/?days=14").json()
    page_cost = page.totals.cost["EUR"]
    assert sum(Decimal(r["monthly_waste"] or 0) for r in rows) == page_cost
    assert Decimal(api["totals"]["cost"]["EUR"]) == page_cost
    assert sum(Decimal(s["monthly_waste"] or 0) for s in api["skus"]) == page_cost
    reclaim = _csv(client.get("/licences/reclaim.csv?days=14"))
    reclaim_cost = sum(Decimal(r["monthly_cost"].split()[0]) for r in reclaim if r["monthly_cost"])
    # Seats on disabled and inactive accounts: page totals (2 + 2) × 20 EUR.
    assert reclaim_cost == Decimal("20.00") * (page.totals.disabled + page.totals.inactive)


def test_the_reclaim_csv_names_the_last_sign_in_and_its_source(client, viewer, estate):
    client.force_login(viewer)
    rows = {r["user_principal_name"]: r for r in _csv(client.get("/licences/reclaim.csv"))}
    assert rows["idle100@contoso.com"]["last_sign_in_source"] == "non_interactive"
    assert rows["idle45@contoso.com"]["products"] == "Office 365 E3"  # not FLOW_FREE


def test_filtering_a_tenant_keeps_only_its_rows(client, viewer, estate):
    _, fabrikam = estate
    client.force_login(viewer)
    page = client.get(f"/licences/?tenant={fabrikam.code}")
    assert {f.tenant_name for f in page.context["skus"]} == {"Fabrikam"}
    assert {r.user.graph_id for r in page.context["reclaim"]} == {"f3"}


@pytest.mark.parametrize("query", ["tenant=nope", "days=7", f"tenant={'0' * 8}-0000-0000-0000-{'0' * 12}"])
def test_a_bad_filter_is_explained_on_the_page_and_refused_by_the_csv(client, viewer, estate, query):
    client.force_login(viewer)
    page = client.get(f"/licences/?{query}")
    assert page.status_code == 200 and page.context["problems"]
    refused = client.get(f"/licences/export.csv?{query}")
    assert refused.status_code == 400 and b"\n" not in refused.content.strip()
    assert client.get(f"/api/v1/licences/?{query}").status_code == 400


def test_product_names_stay_english_on_japanese_pages(client, viewer, estate):
    client.force_login(viewer)
    with translation.override("ja"):
        html = client.get("/licences/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Office 365 E3" in html and "Microsoft Power Automate Free" in html
    assert "ライセンス" in html  # the page itself is in Japanese


def test_the_chart_data_sums_purchased_and_assigned_per_product(client, viewer, estate):
    client.force_login(viewer)
    chart = client.get("/licences/").context["chart"]
    e3 = chart["products"].index("Office 365 E3")
    assert (chart["purchased"][e3], chart["assigned"][e3]) == (15, 9)
    assert SubscribedSku.objects.count() == 3


def test_an_outsider_is_refused(client, outsider, estate):
    client.force_login(outsider)
    assert client.get("/licences/").status_code == 403
    assert client.get("/licences/reclaim.csv").status_code == 403


def test_the_reclaim_api_pages_by_cursor_through_every_account(client, viewer, estate):
    client.force_login(viewer)
    url, seen = "/api/v1/licences/reclaim?page_size=3", []
    while url:
        body = client.get(url).json()
        seen += [row["user_principal_name"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == ["disabled@contoso.com", "f3@fabrikam.com", "idle100@contoso.com",
                            "idle45@contoso.com"]


def test_the_user_list_shows_the_same_last_sign_in_with_its_source(client, viewer, estate):
    client.force_login(viewer)
    html = client.get("/users/?q=logonly").content.decode()
    assert "2026-12-04 09:00" in html and "(Sign-in log)" in html


def test_the_product_table_sums_the_tenants_rows_of_each_product(client, viewer, estate):
    client.force_login(viewer)
    page = client.get("/licences/?days=14")
    (e3,) = [p for p in page.context["products"] if p.product_name == "Office 365 E3"]
    rows = [f for f in page.context["report"].skus if f.product_name == "Office 365 E3"]
    assert (e3.tenants, e3.purchased, e3.assigned) == (2, 15, 9)
    assert e3.waste.cost["EUR"] == sum(f.monthly_waste for f in rows)
    assert e3.waste.cost == page.context["report"].totals.cost  # the free SKU adds nothing
    html = page.content.decode()
    assert f'href="?days=14&amp;product={E3}"' in html  # each product lists its tenants' rows
    api = client.get("/api/v1/licences/?days=14").json()
    (api_e3,) = [p for p in api["products"] if p["sku_id"] == E3]
    assert (api_e3["purchased"], api_e3["cost"]) == (15, {"EUR": f"{e3.waste.cost['EUR']:.2f}"})


def test_one_product_narrows_its_rows_the_reclaim_list_and_the_files_alike(client, viewer, estate):
    client.force_login(viewer)
    page = client.get(f"/licences/?product={FLOW_FREE.upper()}")
    assert page.context["problems"] == []
    assert [f.sku_part_number for f in page.context["skus"]] == ["FLOW_FREE"]
    assert "Microsoft Power Automate Free per tenant" in page.content.decode()
    # A free product is never reclaimed, whoever holds it.
    assert page.context["reclaim"] == []
    exported = _csv(client.get(f"/licences/export.csv?product={FLOW_FREE}"))
    assert [r["sku_part_number"] for r in exported] == ["FLOW_FREE"]
    assert _csv(client.get(f"/licences/reclaim.csv?product={FLOW_FREE}")) == []
    api = client.get(f"/api/v1/licences/?product={FLOW_FREE}").json()
    assert [s["sku_part_number"] for s in api["skus"]] == ["FLOW_FREE"]
    e3 = client.get(f"/licences/?product={E3}")
    assert {f.tenant_name for f in e3.context["skus"]} == {"Contoso", "Fabrikam"}
    assert len(e3.context["reclaim"]) == 4


def test_an_unknown_product_is_explained_and_refused(client, viewer, estate):
    client.force_login(viewer)
    page = client.get("/licences/?product=not-a-sku")
    assert "not-a-sku" in page.context["problems"][0]
    assert len(page.context["report"].skus) == 3  # every product instead
    assert client.get("/licences/export.csv?product=not-a-sku").status_code == 400
    assert client.get("/api/v1/licences/?product=not-a-sku").status_code == 400


def test_the_rows_per_tenant_are_paged_and_sorted_across_pages(client, viewer, estate):
    contoso, _ = estate
    make_rows(SubscribedSku, contoso, 60, prepaid_enabled=5, consumed_units=1)
    client.force_login(viewer)
    first = client.get("/licences/?sort=-purchased")
    assert len(first.context["skus"]) == 50 and first.context["page_obj"].paginator.count == 63
    assert [f.purchased for f in first.context["skus"][:2]] == [10_000, 10]
    last = client.get("/licences/?sort=-purchased&page=2")
    assert len(last.context["skus"]) == 13 and last.context["skus"][-1].purchased == 5
    assert len(last.context["products"]) == 62  # not paged (E3 is one product in 2 tenants)
    assert client.get("/licences/?page=9").context["problems"]
