"""monitoring 0020: each channel's kind-specific columns move into its config, and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("monitoring", "0019_encrypted_text_field")]
AFTER = [("monitoring", "0020_channel_config")]


@pytest.fixture
def migrate():
    """Migrates to the given targets and returns the historical app registry; the schema is
    back at the latest migrations afterwards."""
    def to(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield to
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_columns_move_into_config_without_loss(migrate):
    old = migrate(BEFORE).get_model("monitoring", "NotificationChannel")
    mail = old.objects.create(name="mail", kind="email",
                              emails="ops@example.com, a@b.jp\nsecurity@example.com")
    hook = old.objects.create(name="hook", kind="webhook", url="https://8.8.8.8/h",
                              timeout=2.5, secret_encrypted="gAAAA-token")
    teams = old.objects.create(name="teams", kind="teams", url="https://8.8.4.4/t")

    new = migrate(AFTER).get_model("monitoring", "NotificationChannel")
    rows = {row.name: (row.kind, row.config, row.secret_encrypted) for row in new.objects.all()}
    assert rows == {
        "mail": ("email", {"emails": ["ops@example.com", "a@b.jp", "security@example.com"]}, ""),
        "hook": ("webhook", {"url": "https://8.8.8.8/h", "timeout": 2.5}, "gAAAA-token"),
        "teams": ("teams", {"url": "https://8.8.4.4/t", "timeout": 10.0}, ""),
    }
    assert {mail.pk, hook.pk, teams.pk} == set(new.objects.values_list("pk", flat=True))


def test_it_moves_back(migrate):
    new = migrate(AFTER).get_model("monitoring", "NotificationChannel")
    new.objects.create(name="mail", kind="email", config={"emails": ["ops@example.com", "a@b.jp"]})
    new.objects.create(name="hook", kind="slack", config={"url": "https://8.8.8.8/s",
                                                           "timeout": 3.0})
    old = migrate(BEFORE).get_model("monitoring", "NotificationChannel")
    rows = {row.name: (row.emails, row.url, row.timeout) for row in old.objects.all()}
    assert rows == {"mail": ("ops@example.com, a@b.jp", "", 10.0),
                    "hook": ("", "https://8.8.8.8/s", 3.0)}
