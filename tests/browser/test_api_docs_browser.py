"""Swagger UI and Redoc in Chromium: drawn from our own static files, within the CSP."""

from __future__ import annotations

import pytest

from tests.browser.conftest import served_site
from tests.browser.test_dashboard_browser import sign_in, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    with served_site(tmp_path_factory, collected_static, "api-docs-site") as site:
        yield site


def _open_offline(watched, site, path: str) -> list[str]:
    """Signs in and opens `path`; every request to another origin is refused and recorded."""
    outside: list[str] = []

    def route(request_route) -> None:
        outside.append(request_route.request.url)
        request_route.abort()

    watched.context.route(lambda url: not url.startswith("http://127.0.0.1"), route)
    sign_in(watched.page, site.url)
    watched.page.goto(site.url + path)
    return outside


def test_swagger_ui_lists_the_operations_offline_within_the_csp(watched, site):
    outside = _open_offline(watched, site, "/api/schema/swagger/")
    page = watched.page
    wait_until(page, "document.querySelectorAll('.opblock').length > 40")
    assert page.locator('.opblock-summary-path[data-path="/api/v1/sign-ins/"]').count() == 1
    assert outside == []
    assert watched.csp_violations() == []
    assert watched.problems == []


def test_redoc_draws_the_schema_offline_within_the_csp(watched, site):
    outside = _open_offline(watched, site, "/api/schema/redoc/")
    page = watched.page
    wait_until(page, "document.querySelectorAll('[data-section-id^=\"operation/\"]').length > 40")
    assert page.evaluate("document.querySelector('.redoc-wrap') !== null")
    # Redoc's footer links its vendor's logo from a CDN: refused, and nothing else is.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert watched.csp_violations() == [f"img-src blocked {logo} at :0"]
    assert [problem for problem in watched.problems if logo not in problem] == []
    assert outside == []
