"""Real-browser tests: Debian's Chromium driven by Playwright against `manage.py serve`."""

# Debian's build, not Playwright's download: `playwright install` is never run here.
CHROMIUM = "/usr/bin/chromium"
