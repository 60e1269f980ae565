"""/licences/: the figures on the page, in its CSV files and in the API are the same."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import translation

from m365admin.models import SubscribedSku

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
