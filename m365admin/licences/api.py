"""/api/v1/licences/ and /api/v1/licences/reclaim: the licences page's figures as JSON, from
the same functions (m365admin.licences.report)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from m365admin.api.pagination import KeysetPagination
from m365admin.api.schema import OBJECT
from m365admin.licences.figures import ProductFigures, SkuFigures, WasteTotals, amount_text
from m365admin.licences.report import (
    BadQuery,
    LicenceReport,
    ReclaimAccount,
    describe,
    licence_report,
    parse_query,
    reclaim_accounts,
)
from m365admin.models import SubscribedSku


def _totals(totals: WasteTotals) -> dict[str, Any]:
    return {"unused": totals.unused, "disabled": totals.disabled, "inactive": totals.inactive,
            "cost": {currency: amount_text(amount) for currency, amount in totals.cost.items()}}


def _sku(figures: SkuFigures) -> dict[str, Any]:
    return {
        "tenant": str(figures.tenant_code), "tenant_name": figures.tenant_name,
        "sku_id": figures.sku_id, "sku_part_number": figures.sku_part_number,
        "product_name": figures.product_name, "kind": figures.kind, "state": figures.state,
        "purchased": figures.purchased, "assigned": figures.assigned,
        "available": figures.available, "over_assigned": figures.over_assigned,
        "renewal": figures.renewal, "monthly_price": amount_text(figures.monthly_price),
        "currency": figures.currency, "unused": figures.unused, "disabled": figures.disabled,
        "inactive": figures.inactive, "unused_cost": amount_text(figures.unused_cost),
        "disabled_cost": amount_text(figures.disabled_cost),
        "inactive_cost": amount_text(figures.inactive_cost),
        "monthly_waste": amount_text(figures.monthly_waste),
    }


def _product(product: ProductFigures) -> dict[str, Any]:
    return {
        "sku_id": product.sku_id, "product_name": product.product_name,
        "tenants": product.tenants, "purchased": product.purchased,
        "assigned": product.assigned, "available": product.available,
        "over_assigned_tenants": product.over_assigned, "renewal": product.renewal,
        **_totals(product.waste),
    }


def _account(row: ReclaimAccount) -> dict[str, Any]:
    user = row.user
    return {
        "id": user.pk, "tenant": str(user.tenant.code),
        "user_principal_name": user.user_principal_name, "display_name": user.display_name,
        "account_enabled": user.account_enabled, "reason": row.reason,
        "products": row.products, "last_sign_in": user.last_seen,
        "last_sign_in_source": user.last_seen_source,
        "monthly_cost": {currency: amount_text(amount) for currency, amount in row.cost.items()},
    }


class _LicenceView(GenericAPIView[Any]):
    # Read with the page's permission (view_subscribedsku, through ModelViewPermission).
    queryset = SubscribedSku.objects.none()
    filter_backends: list[Any] = []

    def report(self) -> LicenceReport:
        try:
            return licence_report(*parse_query(self.request.query_params))
        except BadQuery as exc:
            raise ParseError(str(exc)) from None


# The report's query, for the schema (parse_query checks it).
QUERY = [
    OpenApiParameter("tenant", OpenApiTypes.UUID, description="One tenant, by its code."),
    OpenApiParameter("days", OpenApiTypes.INT, enum=[14, 30, 60, 90],
                     description="Inactive after this many days without a sign-in (30)."),
    OpenApiParameter("product", OpenApiTypes.STR,
                     description="One product, by its SKU ID (the same in every tenant)."),
]


class LicencesView(_LicenceView):
    """Per SKU per tenant, with the totals across tenants, per tenant and per product.
    `?tenant=`, `?days=14|30|60|90` (inactive threshold, default 30), `?product=<SKU ID>`."""

    pagination_class = None

    @extend_schema(summary="Licences per SKU per tenant, with waste", parameters=QUERY,
                   responses={200: OBJECT})
    def get(self, request: Request) -> Response:
        report = self.report()
        return Response({
            "days": report.days,
            "totals": _totals(report.totals),
            "tenants": [{"tenant": str(s.tenant_code), **_totals(totals)}
                        for s, totals in _per_tenant(report)],
            "activity_unknown": [str(t.code) for t in report.without_activity],
            "products": [_product(product) for product in report.products],
            "skus": [_sku(figures) for figures in report.skus],
        })


def _per_tenant(report: LicenceReport) -> list[tuple[SkuFigures, WasteTotals]]:
    seen: dict[int, SkuFigures] = {}
    for figures in report.skus:
        seen.setdefault(figures.tenant_id, figures)
    return [(figures, report.per_tenant[tenant_id]) for tenant_id, figures in seen.items()]


class ReclaimCursorPagination(KeysetPagination):
    ordering = ("id",)
    page_size = 100


class ReclaimView(_LicenceView):
    """The reclaim list, cursor-paginated (same filters)."""

    pagination_class = ReclaimCursorPagination

    @extend_schema(summary="Accounts holding paid licences to reclaim", parameters=QUERY,
                   responses={200: OBJECT})
    def get(self, request: Request) -> Response:
        report = self.report()
        page = self.paginate_queryset(reclaim_accounts(report)) or []  # never None: paginated
        return self.get_paginated_response([_account(row) for row in describe(report, page)])
