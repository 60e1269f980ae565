"""/licences/ in Chromium: a Viewer reads it at desktop and phone width (chart drawn within the
CSP, no sideways scroll), opens one product's rows per tenant, filters one tenant, and
downloads the reclaim CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, served_site
from tests.browser.test_dashboard_browser import PHONE, TIMEOUT_MS
from tests.browser.test_database_browser import no_sideways_scroll
from tests.browser.test_security_browser import submit_sign_in

pytestmark = pytest.mark.browser

VIEWER, PASSWORD = "lic-viewer", "lic-viewer-pw-123456"

# Two tenants, E3 priced at 20 EUR, one disabled and one long-idle account in Contoso.
_SEED = f"""
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from m365admin.licences.activity import refresh_activity
from m365admin.models import DirectoryUser, LicenceProduct, SubscribedSku, Tenant
from security import roles
viewer = User.objects.create_user({VIEWER!r}, password={PASSWORD!r})
roles.assign(viewer, roles.VIEWER)
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
LicenceProduct.objects.create(sku_id=E3, sku_part_number="ENTERPRISEPACK", monthly_price=20, currency="EUR")
old = timezone.now() - timedelta(days=400)
for name in ("Contoso", "Fabrikam"):
    tenant = Tenant(name=name, tenant_id=name.lower() + ".onmicrosoft.com", client_id="c")
    tenant.set_client_secret("s")
    tenant.save()
    SubscribedSku.objects.create(tenant=tenant, sku_id=E3, sku_part_number="ENTERPRISEPACK",
                                 prepaid_enabled=10, consumed_units=2)
    for i, enabled in enumerate((False, True)):
        DirectoryUser.objects.create(tenant=tenant, graph_id=f"{{name}}{{i}}",
            user_principal_name=f"user{{i}}@{{name.lower()}}.com",
            account_enabled=enabled, is_licensed=True, created_in_graph=old, last_sign_in=old,
            assigned_licenses=[{{"skuId": E3}}])
    refresh_activity(tenant)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "licences-site", _SEED) as site:
        yield site


def test_a_viewer_filters_a_tenant_and_exports_the_reclaim_list(watched, site):
    page = watched.page
    submit_sign_in(page, site.url + "/licences/", VIEWER, PASSWORD)
    page.wait_for_url(site.url + "/licences/", timeout=TIMEOUT_MS)
    page.wait_for_selector("#licence-chart .main-svg", state="attached", timeout=TIMEOUT_MS)
    assert page.locator("#licence-table tbody tr").count() == 2
    assert page.locator("#reclaim-table tbody tr").count() == 4
    assert "Office 365 E3" in page.locator("#licence-table").inner_text()
    assert no_sideways_scroll(page)
    # E3 summed over both tenants; its name lists it per tenant.
    assert page.locator("#product-table tbody tr").count() == 1
    assert page.locator("#product-table tbody td").nth(2).inner_text() == "20"
    page.click("#product-table tbody a")
    page.wait_for_url("**/licences/?product=*", timeout=TIMEOUT_MS)
    assert page.locator("#licence-table tbody tr").count() == 2
    page.click("#every-product")
    page.wait_for_selector("#every-product", state="detached", timeout=TIMEOUT_MS)
    assert page.locator("#licence-table tbody tr").count() == 2

    page.select_option("#licence-tenant", label="Fabrikam")
    page.click("#licence-filters button[type=submit]")
    page.wait_for_url("**/licences/?tenant=*", timeout=TIMEOUT_MS)
    assert page.locator("#licence-table tbody tr").count() == 1
    assert page.locator("#reclaim-table tbody tr").count() == 2
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.click("#reclaim-export")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("tenant,user_principal_name")
    assert text.count("fabrikam.com") == 2 and "contoso.com" not in text
    assert "20.00 EUR" in text

    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector("#licence-chart .main-svg", state="attached", timeout=TIMEOUT_MS)
    assert no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)
    assert watched.csp_violations() == [] and watched.problems == []
