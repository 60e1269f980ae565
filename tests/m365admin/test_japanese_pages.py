"""Every page in Japanese: an Administrator walks every route and every admin model over a
synced tenant (failed sign-ins, detections, alerts, a degraded component), and no English word
shows outside the names in the data and a short list of proper nouns.

The words a page shows are its text and the attributes a person sees (title, placeholder,
aria-label), not what is in <script>, <style> or <template>, nor computer text in <code>
or <pre> (addresses, identifiers, SQL), nor a stored JSON record the admin shows as it is.
Text a page marks lang="en" is Microsoft's own English shown verbatim (a sign-in's failure
reason beside its translated meaning).
"""

from __future__ import annotations

import json
import re
import zoneinfo
from html.parser import HTMLParser

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.template import Context, Template
from django.utils import translation

from collectors.sync.runner import COLLECTORS, run_collector
from m365admin.admin import GraphSourcedAdmin
from m365admin.licences.names import product_name
from m365admin.models import (
    DirectoryUser,
    LicenceProduct,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SignIn,
    SubscribedSku,
    Team,
    Tenant,
)
from m365admin.models.audit import AuditEntry
from monitoring.alerts import alerting
from monitoring.health import database as database_health
from monitoring.health.store import record
from monitoring.messages import Metrics, Tick
from monitoring.models import Alert
from security.detections import runner as detections
from security.models import SecurityEvent
from tests.security.test_role_matrix import ROUTES

pytestmark = pytest.mark.django_db

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}

# Proper nouns and names of things, spelt as their makers spell them in Japanese text too.
PROPER_NOUNS = {
    "m365admin",  # this product
    "Microsoft", "Entra", "Graph", "Exchange", "Online", "Teams", "OneDrive", "SharePoint",
    "Office", "Outlook", "Azure", "ActiveSync",  # Microsoft's products and services
    "PostgreSQL", "SQLite", "Redis", "Prometheus", "Slack", "Swagger", "Redoc",  # others'
    "autovacuum", "autoanalyze",  # PostgreSQL's background processes
    "English",  # the language switcher names each language in itself (日本語, English)
    "Control", "Command", "Mac",  # keys, as the admin's Japanese names them
    "Webhook",  # the word Microsoft's and Slack's Japanese documentation use
}
# Units written the international way (kilobytes, milliseconds, kilometres).
UNITS = {"kB", "ms", "km", "px"}
# Acronyms and codes are written in capitals (CPU, API, UTC, SKU, IMAP, country codes JP, US);
# a word with a digit is a code (p95, AADSTS50126, P1); one joined by "_", "." or "@" is a
# name a computer gave (addresses, tables, time zones such as America/Los_Angeles). None of
# them is a word of an English sentence.
ACRONYM = re.compile(r"^[A-Z]+$")
IDENTIFIER = re.compile(r"\d|[A-Za-z0-9][_.@][A-Za-z0-9]")
ZONES = zoneinfo.available_timezones()
ZONES |= {part for zone in ZONES for part in re.split(r"[/_]", zone)}

# A word runs over the characters that join names, paths and addresses; one followed by "*" is
# a masked secret (the admin shows a password hash's salt so).
WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_'’.@#+:/-]*[A-Za-z0-9_](?![A-Za-z0-9_*])"
                  r"|(?<![A-Za-z0-9_])[A-Za-z]{2}(?![A-Za-z0-9_*])")
SPLIT = re.compile(r"[-#+’'/]")


class VisibleText(HTMLParser):
    """The words a reader sees: text and the title/placeholder/aria-label attributes."""

    HIDDEN = {"script", "style", "template", "code", "pre"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}
    SEEN_ATTRIBUTES = ("title", "placeholder", "aria-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # (tag, hides its text)
        self.texts: list[str] = []

    @property
    def hidden(self) -> bool:
        return any(hides for _, hides in self.open)

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        hides = tag in self.HIDDEN or values.get("lang") == "en"
        if not (self.hidden or hides):
            self.texts += [values[name] for name in self.SEEN_ATTRIBUTES if values.get(name)]
            if tag == "input" and values.get("type") in ("submit", "button"):
                self.texts.append(values.get("value", ""))
        if tag not in self.VOID:
            self.open.append((tag, hides))

    def handle_endtag(self, tag) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data) -> None:
        if not self.hidden and data.strip():
            self.texts.append(data)


def _is_json(text: str) -> bool:
    text = text.strip()
    if not text.startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def words(text: str) -> set[str]:
    return {w.strip(".'’-") for w in WORD.findall(text)}


def english(html: str, data_words: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    found = set()
    for text in parser.texts:
        if _is_json(text):
            continue
        for word in words(text):
            if IDENTIFIER.search(word) or word in data_words or word in ZONES:
                continue
            if all(p in data_words or p in PROPER_NOUNS or p in UNITS or ACRONYM.match(p)
                   or len(p) < 2 for p in SPLIT.split(word) if p):
                continue
            found.add(f"{word!r} in {text.strip()[:90]!r}")
    return found


def data_words() -> set[str]:
    """Every word of the names and labels the tenant's own data holds (people, groups,
    applications, places, products): shown as they are, in any language."""
    fields = {
        Tenant: ["name"],
        DirectoryUser: ["display_name", "user_principal_name", "department", "job_title"],
        SignIn: ["user_display_name", "user_principal_name", "app_display_name",
                 "resource_display_name", "city", "state", "operating_system", "browser"],
        Team: ["display_name", "description"],
        Mailbox: ["display_name", "user_principal_name"],
        OneDriveAccount: ["owner_display_name", "owner_principal_name", "site_url"],
        SubscribedSku: ["sku_part_number"],
        LicenceProduct: ["name"],
        ServiceHealth: ["service"],
        ServiceHealthIssue: ["service", "title"],
        SecurityEvent: ["username"],
        # An alert's labels name what it is about (a user, a Microsoft 365 service's ID).
        Alert: ["labels"],
        # The audit log shows what was recorded, verbatim (tamper-evident, stored in English).
        AuditEntry: ["target"],
        get_user_model(): ["username"],
        # The roles' groups, and the permissions Django names in English when it migrates.
        Group: ["name"],
        Permission: ["name"],
    }
    # Microsoft's names of the tenant's products (m365admin/data/sku-names.csv).
    products = [product_name(sku_id, part) for sku_id, part
                in SubscribedSku.objects.values_list("sku_id", "sku_part_number")]
    found = {part for name in products for word in words(name)
             for part in {word, *SPLIT.split(word)}}
    for model, names in fields.items():
        for row in model.objects.values_list(*names):
            for value in row:
                text = " ".join(value.values()) if isinstance(value, dict) else str(value or "")
                for word in words(text):
                    found |= {word, *SPLIT.split(word)}
    return found


@pytest.fixture
def synced(make_sim_tenant, default_rules, settings):
    """A simulated tenant synced by every collector (detections run after its sign-ins), a
    slow database, and the alerts the rules raise from it all."""
    tenant, _ = make_sim_tenant(users=30, signins=800, days=3)
    for collector in COLLECTORS:
        run_collector(tenant, collector)
    detections.run(tenant)  # on commit after a sync, which a test transaction never reaches
    settings.HEALTH_SLOW_MS = 0
    health = record([database_health.check(timeout=5)])
    alerting.evaluate(alerting.observe(Tick(metrics=Metrics(cpu=97.0, disk=95.0),
                                         health=health)))
    assert SignIn.objects.exclude(error_code=0).exists()
    assert SecurityEvent.objects.exists() and Alert.objects.exists()
    return tenant


def _examples(tenant) -> dict[str, str]:
    """Paths with real objects in place of the role matrix's made-up ones."""
    failed = SignIn.objects.exclude(error_code=0).order_by("pk").first()
    event = SecurityEvent.objects.filter(tenant=tenant).order_by("pk").first()
    return {
        "m365admin:signin-detail": f"/signins/{failed.pk}/",
        "collectors:tenant-edit": f"/tenants/{tenant.pk}/edit/",
        "monitoring:alert-detail": f"/alerts/{Alert.objects.order_by('pk').first().code}/",
        "security:threat-event": f"/threats/events/{event.pk}/",
        "security:threat-user": f"/threats/users/?tenant={tenant.code}&user={event.username}",
        "monitoring:database-confirm": "/database/actions/confirm?kind=analyze"
                                       "&target=public.m365admin_tenant",
    }


# Routes that are not pages (files, JSON, probes) or not reachable by a GET as this persona.
NOT_PAGES = {"m365admin:signin-export", "m365admin:licence-export", "m365admin:reclaim-export",
             "healthz", "readyz", "metrics", "login", "api-docs:schema",
             "collectors:tenant-sync-status",
             "monitoring:database-explain", "monitoring:database-action",
             # A signed-in Administrator with a verified second factor is sent on from these.
             "two_factor:verify", "two_factor:setup", "two_factor:recovery-codes"}
# Views whose text the browser draws from data (Swagger UI and Redoc: the API's reference).
API_READERS = {"api-docs:swagger", "api-docs:redoc"}
# Admin pages of third-party apps' models: the apps and models have Japanese names
# (m365admin/thirdparty.py), but their packages ship no Japanese for their fields, and
# django-otp's labels are not even translatable strings.
THIRD_PARTY_ADMIN = {"axes", "otp_totp", "otp_static", "token_blacklist",
                     "django_tasks_database"}
# The admin of records synced from Graph shows each one as Graph sent it, read-only: the raw
# record ("notApplied", "ServiceOperational"), which the pages above put in words.


def _pages(tenant) -> list[str]:
    examples = _examples(tenant)
    paths = [examples.get(name, path) for name, (method, path, _) in sorted(ROUTES.items())
             if method == "GET" and name not in NOT_PAGES | API_READERS
             and not name.split(":")[0].endswith("-api")]
    paths += [f"/signins/?group={key}" for key in ("reason", "app", "country", "user", "ip",
                                                    "client_app")]
    paths += ["/admin/"]
    for model, model_admin in django_admin.site._registry.items():
        if model._meta.app_label in THIRD_PARTY_ADMIN or isinstance(model_admin, GraphSourcedAdmin):
            continue
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        paths.append(changelist)
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(f"{changelist}{first.pk}/change/")
    return paths


def test_no_page_shows_english_in_japanese(client, administrator, synced):
    client.force_login(administrator)
    known = data_words()
    wrong, walked = [], 0
    for path in _pages(synced):
        response = client.get(path, **JA)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            wrong.append(f"{path}: {response.status_code} {response['Content-Type']}")
            continue
        walked += 1
        wrong += [f"{path}: {found}" for found in sorted(english(response.content.decode(), known))]
    assert wrong == [], "\n".join(wrong)
    assert walked > 50


def test_the_reader_finds_english_and_leaves_names_and_code_alone():
    html = ('<p title="Sign out">ログアウト <span lang="en">Invalid password</span></p>'
            '<code>SELECT 1</code><script>let x = "hello"</script><td>Contoso · CPU 1,234 ms</td>'
            '<input type="submit" value="Save"><td>p95 public.auth_user Asia/Ho_Chi_Minh JP</td>')
    assert english(html, data_words={"Contoso"}) == {
        "'Sign' in 'Sign out'", "'out' in 'Sign out'", "'Save' in 'Save'"}


def test_numbers_carry_thousands_separators_and_codes_do_not(client, administrator, synced):
    SignIn.objects.filter(pk=SignIn.objects.exclude(error_code=0).first().pk).update(
        error_code=50126)
    client.force_login(administrator)
    html = client.get("/signins/", **JA).content.decode()
    assert "AADSTS50126" in html and "AADSTS50,126" not in html
    with translation.override("ja"):
        assert Template("{{ n }}").render(Context({"n": 1275605})) == "1,275,605"
