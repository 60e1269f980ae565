"""Names that cannot break a page: hostile text from a tenant's directory (script tags,
5,000 characters without a space, a right-to-left override, emoji) on every page that shows
it, at 1366 and 390 px, in Chromium: no sideways scrolling, no script run, no text reversed
outside its own element."""

from __future__ import annotations

import pytest

from tests.browser.conftest import served_site
from tests.browser.test_dashboard_browser import PHONE, TIMEOUT_MS, sign_in
from tests.browser.test_signins_browser import page_overflow
from tests.live import PASSWORD

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
SCRIPT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1">'
LONG = "W" * 5000
RTL = "Eve \u202egnp.exe"
EMOJI = "👩‍💻🏳️‍🌈" * 30

# On SQLite, which keeps text longer than the columns' max_length: what the report saw.
_SEED = f"""
from datetime import timedelta
from django.utils import timezone
from m365admin.models import DirectoryUser, Mailbox, OneDriveAccount, SignIn, Team, Tenant
from m365admin.rollups import refresh_signin_hours
SCRIPT, LONG, RTL, EMOJI = {SCRIPT!r}, {LONG!r}, {RTL!r}, {EMOJI!r}
now = timezone.now()
tenant = Tenant(name=RTL + EMOJI + LONG, tenant_id="11111111-1111-1111-1111-111111111111",
                client_id="22222222-2222-2222-2222-222222222222")
tenant.set_client_secret("not-a-secret")
tenant.save()
names = [SCRIPT, LONG, RTL, EMOJI]
for i, name in enumerate(names):
    DirectoryUser.objects.create(tenant=tenant, graph_id=f"u{{i}}", display_name=name,
                                 user_principal_name=f"{{name}}{{i}}@contoso.com", department=name)
    Mailbox.objects.create(tenant=tenant, user_principal_name=f"{{name}}{{i}}@contoso.com",
                           display_name=name)
    OneDriveAccount.objects.create(tenant=tenant, site_url=f"https://contoso-my/{{name}}{{i}}",
                                   owner_display_name=name, owner_principal_name=f"{{name}}{{i}}@c.com")
    Team.objects.create(tenant=tenant, graph_id=f"t{{i}}", display_name=name, description=name)
    SignIn.objects.create(tenant=tenant, graph_id=f"s{{i}}", created=now - timedelta(minutes=i + 1),
                          user_display_name=name, user_principal_name=f"{{name}}{{i}}@contoso.com",
                          app_display_name=name, client_app_used=name[:64], city=name,
                          failure_reason=name, error_code=50126, operating_system=name)
refresh_signin_hours(tenant, now - timedelta(hours=2), now)
from django.contrib.auth.models import User
from security import roles
roles.assign(User.objects.create_user("hostile-admin", password={PASSWORD!r}), roles.ADMINISTRATOR)
"""

PAGES = ["/", "/dashboard/", "/users/", "/mailboxes/", "/teams/", "/onedrive/", "/signins/",
         "/signins/?group=user", "/signins/?group=app", "/signins/?group=client_app"]

# Text holding the override that shares its bidi run with other text: the override reaches to
# the end of the nearest isolating or block element, so that element must hold this text only.
_UNISOLATED = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const bad = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.includes("\u202e") || node.parentElement.closest("select, script, template")) continue;
    let scope = node.parentElement;
    while (scope !== document.body) {
      const style = getComputedStyle(scope);
      if (style.unicodeBidi.startsWith("isolate") || style.unicodeBidi === "plaintext"
          || style.display !== "inline") break;
      scope = scope.parentElement;
    }
    if (scope.textContent.trim() !== node.data.trim()) bad.push(scope.outerHTML.slice(0, 160));
  }
  return bad;
}"""

_SCROLLING_TABLES = """() => [...document.querySelectorAll(".table-scroll")]
  .map((box) => box.scrollWidth - box.clientWidth).filter((extra) => extra > 0)"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory, collected_static):
    # The Administrator signs in with a password alone: the second factor is tested elsewhere.
    with served_site(tmp_path_factory, collected_static, "hostile-site", _SEED, sqlite=True,
                     OTP_REQUIRED_FOR_ADMINISTRATORS="False") as site:
        yield site.url


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_hostile_names_break_no_page(watched, site_url, viewport):
    page = watched.page
    page.set_viewport_size(viewport)
    sign_in(page, site_url)
    page.wait_for_selector("#tenants .tile", timeout=TIMEOUT_MS)
    signin_pk = None
    wrong = []
    for path in [*PAGES, "/signins/{pk}/"]:
        if "{pk}" in path:
            path = path.format(pk=signin_pk)
        page.goto(site_url + path)
        if path == "/dashboard/":
            page.wait_for_selector("#tenants .tile", timeout=TIMEOUT_MS)
        if path == "/signins/":
            href = page.locator("table.signins td.col-time a").first.get_attribute("href")
            signin_pk = href.strip("/").rsplit("/", 1)[1]
            assert page.locator("table.signins tbody tr").count() == 4
        if (overflow := page_overflow(page)) > 0:
            wrong.append(f"{path}: {overflow} px wider than the window")
        # On a laptop, tables fit too: a long name must not push columns out of sight.
        if viewport is LAPTOP and (tables := page.evaluate(_SCROLLING_TABLES)):
            wrong.append(f"{path}: tables scroll sideways by {tables} px")
        if page.evaluate("window.__pwned") is not None:
            wrong.append(f"{path}: a hostile script ran")
        if unisolated := page.evaluate(_UNISOLATED):
            wrong.append(f"{path}: override not isolated in {unisolated[:2]}")
    assert wrong == []
    assert watched.csp_violations() == []


# The admin pages an Administrator opens on the tenant's hostile rows: each list, and each row.
ADMIN_MODELS = ["tenant", "directoryuser", "mailbox", "onedriveaccount", "team", "signin"]


def test_hostile_names_break_no_admin_page_on_a_phone(watched, site_url):
    page = watched.page
    page.set_viewport_size(PHONE)
    page.goto(site_url + "/accounts/login/")
    page.fill("#id_username", "hostile-admin")
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url(site_url + "/dashboard/", timeout=TIMEOUT_MS)
    paths = ["/admin/"]
    for model in ADMIN_MODELS:
        changelist = f"/admin/m365admin/{model}/"
        page.goto(site_url + changelist)
        rows = page.locator("#result_list tbody th a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        assert rows, f"{changelist} lists no rows"
        paths += [changelist, *rows]
    wrong = []
    for path in paths:
        page.goto(site_url + path)
        if (overflow := page_overflow(page)) > 0:
            wrong.append(f"{path}: {overflow} px wider than the window")
        if page.evaluate("window.__pwned") is not None:
            wrong.append(f"{path}: a hostile script ran")
        if unisolated := page.evaluate(_UNISOLATED):
            wrong.append(f"{path}: override not isolated in {unisolated[:2]}")
    assert wrong == [], "\n".join(wrong)
    assert watched.csp_violations() == []
