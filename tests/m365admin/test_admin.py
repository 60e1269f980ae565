"""The admin: every entity is registered; Graph-sourced rows can be looked at, never edited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from m365admin import models as m365_models
from m365admin.admin import GraphSourcedAdmin
from m365admin.choices import Collector
from m365admin.models import (
    DirectoryUser,
    GraphUsage,
    HeldLicence,
    LicenceProduct,
    SignIn,
    SyncCheckpoint,
    Tenant,
)
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
MODELS = [getattr(m365_models, name) for name in m365_models.__all__]
# Tenants and licence products (names and prices) are what people edit.
GRAPH_SOURCED = [model for model in MODELS if model not in (Tenant, LicenceProduct)]


def _ids(models):
    return [model.__name__ for model in models]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:m365admin_{model._meta.model_name}_{view}", args=args)


def _rows(model, count: int = 1, tenant=None):
    """`count` rows of any entity model (a checkpoint is one per tenant and collector)."""
    if model is Tenant:
        return [make_tenant() for _ in range(count)]
    if model is LicenceProduct:
        return LicenceProduct.objects.bulk_create(
            LicenceProduct(sku_id=str(uuid.uuid4())) for _ in range(count))
    tenant = tenant or make_tenant()
    if model in (SyncCheckpoint, GraphUsage):  # one per tenant and collector
        collectors = list(Collector)[:count]
        return model.objects.bulk_create(model(tenant=tenant, collector=c) for c in collectors)
    extra = {"created": lambda i: NOW - timedelta(minutes=i)} if model is SignIn else {}
    if model is HeldLicence:
        extra = {"user": make_rows(DirectoryUser, tenant)[0]}
    return make_rows(model, tenant, count, **extra)


def test_every_entity_model_is_registered():
    missing = [model.__name__ for model in MODELS if not admin.site.is_registered(model)]
    assert missing == []


def test_every_graph_sourced_model_uses_the_read_only_admin():
    wrong = [m.__name__ for m in GRAPH_SOURCED
             if not isinstance(admin.site.get_model_admin(m), GraphSourcedAdmin)]
    assert wrong == []


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_the_changelist_loads_with_rows(client, admin, model):
    rows = _rows(model, 2)
    client.force_login(admin)
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert {obj.pk for obj in response.context["cl"].result_list} == {obj.pk for obj in rows}


def _spread(model, count: int):
    """`count` rows over tenants of up to 5 rows each, so every list holds several tenants."""
    if model is Tenant:
        return _rows(Tenant, count)
    rows = []
    while len(rows) < count:
        rows += _rows(model, min(5, count - len(rows)), tenant=make_tenant())
    return rows


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_the_changelist_costs_the_same_queries_for_3_or_33_rows(client, admin, model):
    client.force_login(admin)
    counts = []
    for more in (3, 30):
        _spread(model, more)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(model, "changelist")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("model", GRAPH_SOURCED, ids=_ids(GRAPH_SOURCED))
def test_the_change_view_shows_a_row_read_only(client, admin, model):
    (obj,) = _rows(model)
    client.force_login(admin)
    response = client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content


@pytest.mark.parametrize("model", GRAPH_SOURCED, ids=_ids(GRAPH_SOURCED))
def test_a_graph_sourced_row_cannot_be_added_or_changed(client, admin, model):
    (obj,) = _rows(model)
    before = model.objects.values().get(pk=obj.pk)
    client.force_login(admin)
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "add"), {}).status_code == 403
    assert client.post(_url(model, "change", obj.pk), {"tenant": obj.tenant_id}).status_code == 403
    assert model.objects.values().get(pk=obj.pk) == before


DELETE_REFUSED = [model for model in GRAPH_SOURCED if model is not SyncCheckpoint]


@pytest.mark.parametrize("model", DELETE_REFUSED, ids=_ids(DELETE_REFUSED))
def test_a_graph_sourced_row_cannot_be_deleted(client, admin, model):
    (obj,) = _rows(model)
    client.force_login(admin)
    assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    response = client.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)  # the action is not offered: nothing happens
    assert model.objects.filter(pk=obj.pk).exists()


def test_deleting_a_checkpoint_is_how_an_administrator_forces_a_full_resync(client, admin):
    (checkpoint,) = _rows(SyncCheckpoint)
    client.force_login(admin)
    response = client.post(_url(SyncCheckpoint, "delete", checkpoint.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not SyncCheckpoint.objects.filter(pk=checkpoint.pk).exists()


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/m365admin/tenant/", "/admin/m365admin/signin/"]
)
def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client, viewer, path):
    client.force_login(viewer)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get("/admin/m365admin/signin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
