"""/licences/: per-SKU figures across tenants, a chart, and the reclaim list, with CSV files."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from m365admin import explorer
from m365admin.explorer import Sorting
from m365admin.lib import csvstream
from m365admin.licences.figures import ProductFigures, SkuFigures, amount_text
from m365admin.licences.report import (
    DEFAULT_DAYS,
    BadQuery,
    ReclaimAccount,
    describe,
    licence_report,
    parse_query,
    reclaim_accounts,
)
from m365admin.models import Tenant
from m365admin.models.licences import INACTIVE_DAYS

# Reclaim rows shown on the page (read in index order, never all counted: at 100,000 accounts
# counting costs more than the rest of the page); the CSV and the API have them all.
RECLAIM_ROWS = 50
SORTING = Sorting("tenant", product="product_name", tenant="tenant_name", purchased="purchased",
                  assigned="assigned", available="available", renewal="renewal",
                  waste="monthly_waste")


# Header → cell. Field names, not translated labels: scripts read these files.
SKU_CSV_COLUMNS: dict[str, Callable[[SkuFigures], Any]] = {
    "tenant": lambda f: f.tenant_name,
    "product_name": lambda f: f.product_name,
    "sku_part_number": lambda f: f.sku_part_number,
    "sku_id": lambda f: f.sku_id,
    "kind": lambda f: f.kind,
    "state": lambda f: f.state,
    "purchased": lambda f: f.purchased,
    "assigned": lambda f: f.assigned,
    "available": lambda f: f.available,
    "over_assigned": lambda f: f.over_assigned,
    "renewal": lambda f: f.renewal.date().isoformat() if f.renewal else "",
    "monthly_price": lambda f: amount_text(f.monthly_price) or "",
    "currency": lambda f: f.currency,
    "unused": lambda f: f.unused,
    "disabled": lambda f: f.disabled,
    "inactive": lambda f: "" if f.inactive is None else f.inactive,
    "monthly_waste": lambda f: amount_text(f.monthly_waste) or "",
}
RECLAIM_CSV_COLUMNS: dict[str, Callable[[ReclaimAccount], Any]] = {
    "tenant": lambda r: r.user.tenant.name,
    "user_principal_name": lambda r: r.user.user_principal_name,
    "display_name": lambda r: r.user.display_name,
    "account_enabled": lambda r: r.user.account_enabled,
    "products": lambda r: "; ".join(r.products),
    "last_sign_in": lambda r: r.user.last_seen.isoformat() if r.user.last_seen else "",
    "last_sign_in_source": lambda r: r.user.last_seen_source,
    "monthly_cost": lambda r: r.cost_text("; "),
}


def _sorted(rows: list[Any], sort: str) -> list[Any]:
    """Python-side: the figures are computed, not columns. Empty values last either way, and
    rows without the key (products have no tenant) keep their order (by name)."""
    key = SORTING.fields[sort.removeprefix("-")]
    present = [f for f in rows if getattr(f, key, None) is not None]
    missing = [f for f in rows if getattr(f, key, None) is None]
    present.sort(key=lambda f: (getattr(f, key), getattr(f, "tenant_name", ""), f.product_name),
                 reverse=sort.startswith("-"))
    return present + missing


def _chart(products: list[ProductFigures]) -> dict[str, Any]:
    """Assigned vs purchased per product, summed over the tenants shown."""
    return {
        "products": [p.product_name for p in products],
        "purchased": [p.purchased for p in products],
        "assigned": [p.assigned for p in products],
        "labels": {"purchased": _("Purchased"), "assigned": _("Assigned")},
    }


@require_GET
@login_required
@permission_required("m365admin.view_subscribedsku", raise_exception=True)
def licence_list(request: HttpRequest) -> HttpResponse:
    """Per product across the tenants shown (each linking to its tenants' rows), the rows per
    SKU and tenant 50 a page, and the first accounts to reclaim from: a page of bounded size
    whatever the estate (600 SKU rows are in the CSV and the API, not in the HTML)."""
    problems = []
    try:
        query = parse_query(request.GET)
    except BadQuery as exc:
        problems.append(str(exc))
        query = (None, DEFAULT_DAYS, "")
    sort, sort_problem = SORTING.resolve(request.GET.get("sort"))
    if sort_problem:
        problems.append(sort_problem)
    report = licence_report(*query)
    page, page_problem = explorer.offset_page(_sorted(report.skus, sort), request.GET.get("page"))
    if page_problem:
        problems.append(page_problem)
    reclaim = list(describe(report, reclaim_accounts(report)[:RECLAIM_ROWS + 1]))
    return render(request, "m365admin/licence_list.html", {
        "report": report,
        "products": _sorted(report.products, sort),
        "product_name": report.products[0].product_name if report.products else report.product,
        "product_link": _product_link(request),
        "skus": page.object_list,
        "page_obj": page,
        "sort": sort,
        "sort_headers": SORTING.headers(sort),
        "reclaim": reclaim[:RECLAIM_ROWS],
        "reclaim_more": len(reclaim) > RECLAIM_ROWS,
        "chart": _chart(report.products),
        "tenants": Tenant.objects.order_by("name"),
        "inactive_days": INACTIVE_DAYS,
        "problems": problems,
    })


def _product_link(request: HttpRequest) -> str:
    """This page's query with `product=` last, for the product table's links to append a SKU
    ID to (one query string built, not one per row)."""
    params = request.GET.copy()
    for name in ("product", "page"):
        params.pop(name, None)
    params["product"] = ""
    return f"?{params.urlencode()}"


def _csv_view(filename: str, columns: dict[str, Callable[[Any], Any]],
              rows_of: Callable[[Any], Iterable[Any]]) -> Callable[[HttpRequest], HttpResponseBase]:
    """A CSV download of the report's rows; a bad filter answers 400 instead of other rows."""

    @require_GET
    @login_required
    @permission_required("m365admin.view_subscribedsku", raise_exception=True)
    def view(request: HttpRequest) -> HttpResponseBase:
        try:
            report = licence_report(*parse_query(request.GET))
        except BadQuery as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
        return csvstream.csv_response(
            list(columns), ([cell(row) for cell in columns.values()] for row in rows_of(report)),
            filename=filename, asynchronous=isinstance(request, ASGIRequest),
        )

    return view


licence_export = _csv_view("licences.csv", SKU_CSV_COLUMNS, lambda report: report.skus)
reclaim_export = _csv_view("reclaim.csv", RECLAIM_CSV_COLUMNS, lambda report: describe(
    report, reclaim_accounts(report).iterator(chunk_size=2000)))
