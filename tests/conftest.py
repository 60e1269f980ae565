"""Shared fixtures: personas, tenants, the Graph simulator, and the PostgreSQL marker rule."""

from __future__ import annotations

import os
import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from collectors.clients import forget_clients
from m365admin import partitions
from m365admin.lib import versioned_cache
from security import iprules, roles

IN_CI = os.environ.get("CI") == "true"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests that need a service skip without it locally, and fail in CI, where it must be."""
    missing = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing.append("PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        missing.append("Redis: set REDIS_URL=redis://…")
    if item.get_closest_marker("browser"):
        from tests.browser import CHROMIUM

        if not os.path.exists(CHROMIUM):
            missing.append(f"Chromium at {CHROMIUM}: apt-get install chromium")
    if missing:
        message = "needs " + "; ".join(missing) + " (CI always does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_log_trigger():
    """Transactional tests end with Django's flush, one TRUNCATE of every table, which the
    audit log's trigger refuses on PostgreSQL (security/migrations/0005): in the test database
    the flush switches that trigger off for its own transaction, and nothing else does."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    sql_flush = DatabaseOperations.sql_flush
    trigger = "security_auditentry {} TRIGGER security_audit_no_truncate"

    def flush_past_the_trigger(self, style, tables, **options):
        statements = sql_flush(self, style, tables, **options)
        if statements and "security_auditentry" in tables:
            statements = [f"ALTER TABLE {trigger.format('DISABLE')}", *statements,
                          f"ALTER TABLE {trigger.format('ENABLE')}"]
        return statements

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", flush_past_the_trigger)
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Personas are created per test; the production hasher costs ~0.5 s a user on these cores.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest exists only after collectstatic; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch):
    # Partitions and Graph clients are cached per process; tests roll their databases back.
    partitions.forget_known()
    forget_clients()
    # So are aggregates, under the version of their rows, which a rolled-back test can repeat
    # (and in a Redis other runs share): each test keeps them under a namespace of its own.
    monkeypatch.setattr(versioned_cache, "NAMESPACE", f"aggregate:{uuid.uuid4().hex}:")
    yield
    forget_clients()


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    # The locale middleware leaves a request's language active in the thread: a Japanese
    # request must not make the next test's messages Japanese.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_abuse_controls(settings):
    # Rate-limit counts outlive a test in the cache (a Redis that other runs share): each test
    # counts under a prefix of its own. The IP rules are kept per process, and a rule rolled
    # back with a test announces no change: each test starts from its empty table.
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"
    iprules.assume_empty()


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(monkeypatch):
    """`client.force_login(user)` skips the password, and now the second factor with it.

    The session it makes is verified as a real one is: django-otp's session key names a
    confirmed TOTP device of the user's (one is made for an Administrator who has none), and
    the middleware checks it on every request as in production. A user who owes no second
    factor (a Viewer without a device) gets no device. tests/security/test_twofactor.py signs
    in through the login form to test the unverified session.
    """
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from security import otp

    force_login = ClientMixin.force_login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        if otp.pending_step(user) is None:
            return
        device = otp.totp_device(user) or TOTPDevice.objects.create(
            user=user, name="force_login", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login_verified)


# Personas ---------------------------------------------------------------------------------


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("alice", "alice@example.com", "pw-alice-123456")


@pytest.fixture
def viewer(django_user_model):
    """The Viewer role: reads every M365 entity, the dashboard and alerts, changes nothing."""
    user = django_user_model.objects.create_user("victor", "victor@example.com", "pw-victor-123456")
    roles.assign(user, roles.VIEWER)
    return user


@pytest.fixture
def outsider(django_user_model):
    """Signed in, with no permission at all."""
    return django_user_model.objects.create_user("oscar", "oscar@example.com", "pw-oscar-123456")


# The Graph simulator ------------------------------------------------------------------------


@pytest.fixture
def default_rules():
    """The rules the migration seeds (a transactional test elsewhere may have flushed them)."""
    from django.apps import apps

    from monitoring.models import AlertRule

    seed = import_module("monitoring.migrations.0003_default_alert_rules")
    AlertRule.objects.all().delete()
    seed.add_defaults(apps, None)
    import_module("monitoring.migrations.0005_security_event_rules").add_security_rules(apps, None)
    import_module("monitoring.migrations.0007_detection_rules").add_detection_rules(apps, None)
    import_module("monitoring.migrations.0021_queue_alert_rules").add_rules(apps, None)


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    from collectors.simulator import GraphSimulator

    sim = GraphSimulator(host="127.0.0.1", port=0, state_dir=tmp_path_factory.mktemp("graph-sim"))
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def make_sim_tenant(simulator, settings, request):
    """Builds a fresh simulated tenant and its Tenant row pointing at the simulator.

    Its ids derive from the test's name, so each test sees the same generated data every run.
    """
    from collectors.simulator import SimTenant
    from tests.factories import make_tenant

    settings.GRAPH_CA_BUNDLE = str(simulator.ca_bundle)
    made = 0

    def make(**spec_fields):
        nonlocal made
        made += 1
        name = f"{request.node.nodeid}#{made}"
        spec_fields = {"users": 30, "signins": 600, "days": 3, "seed": 7, **spec_fields}
        spec = simulator.add_tenant(SimTenant(
            tenant_id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            client_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
            client_secret="s3cret-" + uuid.uuid4().hex, **spec_fields,
        ))
        tenant = make_tenant(
            tenant_id=spec.tenant_id, client_id=spec.client_id, secret=spec.client_secret,
            authority_url=simulator.base_url, graph_url=simulator.base_url,
        )
        return tenant, spec

    yield make
    simulator.faults.clear()


@pytest.fixture
def sim_tenant(make_sim_tenant):
    """A small simulated tenant: (Tenant row, SimTenant)."""
    return make_sim_tenant()


# The app as separate processes ---------------------------------------------------------------


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """`collectstatic` into a folder the live sites share (as `make run` does into var/)."""
    from tests.live import collect_static

    return collect_static(tmp_path_factory.mktemp("static"))


@pytest.fixture
def live_site(tmp_path, collected_static):
    """A fresh database and var/ for `manage.py` processes started by the test (tests/live.py)."""
    from tests.live import LiveSite

    site = LiveSite(tmp_path)
    site.prepare(collected_static)
    yield site
    site.stop()


@pytest.fixture
def operator(django_user_model):
    """The Operator role: the Viewer's reading, plus acting on alerts and silences."""
    user = django_user_model.objects.create_user("olivia", "olivia@example.com", "pw-olivia-123456")
    roles.assign(user, roles.OPERATOR)
    return user


@pytest.fixture
def administrator(django_user_model):
    """The Administrator role, given as a group (not a superuser flag)."""
    user = django_user_model.objects.create_user("adam", "adam@example.com", "pw-adam-123456")
    roles.assign(user, roles.ADMINISTRATOR)
    return user
