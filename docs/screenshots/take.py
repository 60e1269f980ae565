"""Screenshots for the README: the demo (simulator, demo tenants, server) on a free port and a
throw-away SQLite database, photographed in Chromium at 1366×768 in English and Japanese.

    .venv/bin/python docs/screenshots/take.py

Needs Chromium at /usr/bin/chromium and, for the Japanese pages, a CJK font
(`apt-get install fonts-noto-cjk`). Writes docs/screenshots/<page>-<language>.png, squeezed
with optipng when it is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1366, "height": 768}
LANGUAGES = ["en", "ja"]
# name -> (path, what to wait for before the picture)
PAGES = {
    "dashboard": ("/dashboard/", "#connection[data-state='live']"),
    "signins-grouped": ("/signins/?group=reason", "table.signin-groups"),
    "licences": ("/licences/", "main h1"),
}
# The onboarding pictures (after a connection test) come from tests/browser/test_onboarding_browser.py.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the demo stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(1)
    sys.exit(f"the demo did not answer within 5 minutes:\n{log.read_text()[-3000:]}")


def photograph(base: str, username: str, password: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        for language in LANGUAGES:
            context = browser.new_context(viewport=VIEWPORT, locale=language)
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page = context.new_page()
            page.goto(base + "/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("form[action$='/accounts/login/'] button[type=submit]")
            page.wait_for_url(base + "/dashboard/")
            for name, (path, ready) in PAGES.items():
                page.goto(base + path)
                page.wait_for_selector(ready, timeout=30_000)
                page.wait_for_timeout(1500)  # charts finish their transitions
                target = HERE / f"{name}-{language}.png"
                page.screenshot(path=str(target))
                taken.append(target)
                print(f"saved {target.relative_to(ROOT)}")
            context.close()
        browser.close()
    return taken


def main() -> None:
    if not Path(CHROMIUM).exists():
        sys.exit(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    var = Path(tempfile.mkdtemp(prefix="m365admin-screenshots-"))
    port = free_port()
    env = {**os.environ, "M365ADMIN_VAR_DIR": str(var),
           "DATABASE_URL": f"sqlite:///{var / 'demo.sqlite3'}",
           # A picture, not a deployment: the demo administrator signs in with the password only.
           "OTP_REQUIRED_FOR_ADMINISTRATORS": "False"}
    for name in ("REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    log = var / "demo.log"
    demo = None
    try:
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "collectstatic", "--no-input", "-v0")
        with log.open("w") as output:
            demo = subprocess.Popen([sys.executable, "manage.py", "demo", "--port", str(port)],
                                    cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, demo, log)
        password = (var / "demo-login.txt").read_text().strip()
        taken = photograph(base, "demo", password)
    finally:
        if demo is not None and demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=30)
        shutil.rmtree(var, ignore_errors=True)
    if shutil.which("optipng"):
        subprocess.run(["optipng", "-quiet", "-o2", *map(str, taken)], check=True)


if __name__ == "__main__":
    main()
