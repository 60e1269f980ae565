"""TenantAdmin and its form: the client secret goes in encrypted and never comes back out."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from m365admin.models import Tenant
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db

ADD = "/admin/m365admin/tenant/add/"
SECRET = "Zq8~entered-client-secret~Xy"


def _change(tenant: Tenant) -> str:
    return f"/admin/m365admin/tenant/{tenant.pk}/change/"


def _form(**overrides) -> dict[str, str]:
    data = {
        "name": "Contoso",
        "tenant_id": "contoso.onmicrosoft.com",
        "client_id": str(uuid.uuid4()),
        "authority_url": "https://login.microsoftonline.com",
        "graph_url": "https://graph.microsoft.com",
        "enabled": "on",
        "client_secret": SECRET,
        "secret_expires": (date.today() + timedelta(days=365)).isoformat(),
        "_save": "Save",
    }
    data.update(overrides)
    return data


def _errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "expected the form again, with errors"
    return response.context["adminform"].form.errors


def test_it_creates_a_tenant_with_its_secret_encrypted(client, admin):
    client.force_login(admin)
    response = client.post(ADD, _form())
    assert response.status_code == 302
    tenant = Tenant.objects.get(tenant_id="contoso.onmicrosoft.com")
    assert tenant.client_secret() == SECRET
    assert tenant.client_secret_encrypted != SECRET
    assert SECRET not in tenant.client_secret_encrypted


def test_a_new_tenant_needs_a_secret(client, admin):
    client.force_login(admin)
    errors = _errors(client.post(ADD, _form(client_secret="")))
    assert list(errors) == ["client_secret"]
    assert not Tenant.objects.exists()


def test_a_secret_of_spaces_is_no_secret(client, admin):
    client.force_login(admin)
    assert "client_secret" in _errors(client.post(ADD, _form(client_secret="   ")))


def test_a_refused_form_does_not_echo_the_secret(client, admin):
    client.force_login(admin)
    response = client.post(ADD, _form(tenant_id="common"))
    assert "tenant_id" in _errors(response)
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize("tenant_id", ["common", "organizations", "not a domain",
                                       "0000-0000", "https://contoso.com"])
def test_it_refuses_a_tenant_id_that_is_neither_guid_nor_domain(client, admin, tenant_id):
    client.force_login(admin)
    assert list(_errors(client.post(ADD, _form(tenant_id=tenant_id)))) == ["tenant_id"]


@pytest.mark.parametrize("tenant_id", [str(uuid.uuid4()), "contoso.onmicrosoft.com"])
def test_it_accepts_a_guid_or_a_verified_domain(client, admin, tenant_id):
    client.force_login(admin)
    assert client.post(ADD, _form(tenant_id=tenant_id)).status_code == 302
    assert Tenant.objects.filter(tenant_id=tenant_id).exists()


@pytest.mark.parametrize("client_id", ["", "contoso", "00000000-0000-0000-0000-00000000000g",
                                       "{00000000-0000-0000-0000-000000000000}"])
def test_it_refuses_a_client_id_that_is_not_a_guid(client, admin, client_id):
    client.force_login(admin)
    assert list(_errors(client.post(ADD, _form(client_id=client_id)))) == ["client_id"]


def test_the_change_form_never_renders_the_secret(client, admin):
    tenant = make_tenant(secret=SECRET)
    client.force_login(admin)
    response = client.get(_change(tenant))
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET not in html
    assert tenant.client_secret_encrypted not in html
    assert 'name="client_secret_encrypted"' not in html
    (secret_input,) = [line for line in html.splitlines() if 'name="client_secret"' in line]
    assert "value=" not in secret_input


def test_a_viewers_read_only_page_never_renders_the_secret(client, viewer):
    # The read-only page renders each form field through the model attribute of the same
    # name; for client_secret that is the decrypting method.
    viewer.is_staff = True
    viewer.save()
    tenant = make_tenant(secret="viewer-must-not-see-this")
    client.force_login(viewer)
    page = client.get(_change(tenant))
    assert page.status_code == 200 and tenant.name.encode() in page.content
    assert b"viewer-must-not-see-this" not in page.content


def test_a_blank_secret_on_edit_keeps_the_stored_one(client, admin):
    tenant = make_tenant(secret=SECRET, name="Old name", tenant_id="contoso.onmicrosoft.com")
    stored = tenant.client_secret_encrypted
    client.force_login(admin)
    form = _form(name="New name", client_id=tenant.client_id, client_secret="")
    assert client.post(_change(tenant), form).status_code == 302
    tenant.refresh_from_db()
    assert tenant.name == "New name"
    assert tenant.client_secret_encrypted == stored


def test_a_new_secret_on_edit_replaces_the_stored_one(client, admin):
    tenant = make_tenant(secret=SECRET, tenant_id="contoso.onmicrosoft.com")
    client.force_login(admin)
    form = _form(client_id=tenant.client_id, client_secret="rotated-secret")
    assert client.post(_change(tenant), form).status_code == 302
    tenant.refresh_from_db()
    assert tenant.client_secret() == "rotated-secret"


def test_the_secret_help_says_blank_keeps_it_only_on_edit(client, admin):
    client.force_login(admin)
    keep = "Leave blank to keep the current secret."
    assert keep not in client.get(ADD).content.decode()
    assert keep in client.get(_change(make_tenant())).content.decode()


def test_the_tenant_code_is_shown_nowhere_in_the_admin(client, admin):
    tenant = make_tenant()
    client.force_login(admin)
    for url in (ADD, _change(tenant), "/admin/m365admin/tenant/"):
        html = client.get(url).content.decode()
        assert str(tenant.code) not in html
        assert ">Code<" not in html and 'name="code"' not in html


def test_the_code_and_demo_flag_cannot_be_set_from_the_form(client, admin):
    client.force_login(admin)
    code = str(uuid.uuid4())
    assert client.post(ADD, _form(code=code, is_demo="on")).status_code == 302
    tenant = Tenant.objects.get()
    assert str(tenant.code) != code
    assert tenant.is_demo is False


def test_the_changelist_searches_by_name(client, admin):
    make_tenant(name="Contoso"), make_tenant(name="Fabrikam")
    client.force_login(admin)
    response = client.get("/admin/m365admin/tenant/", {"q": "fabri"})
    assert [t.name for t in response.context["cl"].result_list] == ["Fabrikam"]
