"""One live site and one Chromium per module; a fresh browser context (cookies, viewport) per test."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.browser import CHROMIUM
from tests.live import LiveSite

DESKTOP = {"width": 1280, "height": 800}


@contextmanager
def served_site(tmp_path_factory, collected_static, name: str, seed: str = "", *,
                sqlite: bool = False, **env: str):
    """A LiveSite with its database prepared, seeded by a `manage.py shell` script, and served;
    stopped when the block ends. Its base URL is `site.url`. `sqlite=True`: an SQLite file
    even in CI (it keeps text longer than a column's max_length, as a hostile sync could)."""
    site = LiveSite(tmp_path_factory.mktemp(name), sqlite=sqlite, **env)
    try:
        site.prepare(collected_static)
        if seed:
            site.manage("shell", "-c", seed)
        site.url = site.serve()
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def site_url(tmp_path_factory, collected_static):
    """A served site ticking every second, so a live update arrives within the test."""
    with served_site(tmp_path_factory, collected_static, "browser-site",
                     MONITORING_INTERVAL="1") as site:
        yield site.url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


# Recorded in the page before any of its scripts run, so nothing the CSP refuses goes unseen.
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A page whose JS errors, console errors and warnings are collected as they happen."""

    def __init__(self, context) -> None:
        self.context = context
        self.problems: list[str] = []
        context.add_init_script(_WATCH_CSP)
        self.page = self.open()

    def open(self):
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"JS error: {error}"))
        page.on("console", self._console)
        return page

    def _console(self, message) -> None:
        # The site has no favicon (nor any page of it links one); Chromium asks anyway.
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def csp_violations(self, page=None) -> list[str]:
        return (page or self.page).evaluate("window.__cspViolations")


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport=DESKTOP)
    yield Watched(context)
    context.close()
