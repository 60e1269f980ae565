"""The audit log: what gets recorded, the hash chain, verify-audit, and the append-only trigger."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from m365admin import audit
from m365admin.models.audit import GENESIS, AuditEntry
from tests.factories import make_alert, make_tenant

pytestmark = pytest.mark.django_db


def _verify() -> str:
    out = io.StringIO()
    call_command("verify-audit", "--no-progress", stdout=out)
    return out.getvalue()


def test_entries_chain_each_to_the_one_before():
    first = audit.record("test.one", "a", {"when": datetime(2026, 1, 1, tzinfo=UTC)})
    second = audit.record("test.two", "b")
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.hash
    stored = AuditEntry.objects.get(pk=first.pk)
    assert stored.compute_hash() == stored.hash  # datetimes in details hash as they read back
    assert "2 entries verified; the chain is intact." in _verify()


def test_an_empty_log_verifies():
    assert "0 entries verified" in _verify()


def _bypass_trigger():
    """What a database superuser could do: switch triggers off for this session."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


def test_verify_names_an_edited_entry():
    entries = [audit.record("test.step", str(n), {"n": n}) for n in range(5)]
    _bypass_trigger()
    AuditEntry.objects.filter(pk=entries[2].pk).update(details={"n": 99})
    with pytest.raises(CommandError, match=rf"broken at entry #{entries[2].pk}: its content was "
                                           r"changed after it was written\. 2 entries"):
        _verify()


def test_verify_names_the_entry_after_a_deleted_one():
    entries = [audit.record("test.step", str(n)) for n in range(5)]
    _bypass_trigger()
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    with pytest.raises(CommandError, match=rf"broken at entry #{entries[2].pk}: the entry before "
                                           r"it was removed or changed"):
        _verify()


@pytest.mark.postgres
def test_postgresql_refuses_updates_and_deletes():
    entry = audit.record("test.step", "x")
    for attempt in (lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="forged"),
                    lambda: AuditEntry.objects.filter(pk=entry.pk).delete()):
        with (pytest.raises(DatabaseError, match="the audit log is append-only"),
              transaction.atomic()):
            attempt()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.step"


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "TRUNCATE security_auditentry",
    "TRUNCATE security_auditentry RESTART IDENTITY CASCADE",
    # Emptied as a side effect of truncating another table in the same statement.
    "TRUNCATE security_securityevent, security_auditentry",
])
def test_postgresql_refuses_truncate(statement):
    entry = audit.record("test.step", "x")
    with (pytest.raises(DatabaseError, match="the audit log is append-only: TRUNCATE refused"),
          transaction.atomic(), connection.cursor() as cursor):
        cursor.execute(statement)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_sign_ins_and_failures_are_recorded(client, viewer):
    client.post("/accounts/login/", {"username": "victor", "password": "wrong"},
                REMOTE_ADDR="203.0.113.9")
    client.post("/accounts/login/", {"username": "victor", "password": "pw-victor-123456"},
                REMOTE_ADDR="203.0.113.9")
    failed, login = AuditEntry.objects.order_by("id")
    assert (failed.action, failed.target, failed.actor, failed.ip_address) == (
        "auth.login_failed", "victor", "", "203.0.113.9")
    assert (login.action, login.actor, login.ip_address) == ("auth.login", "victor", "203.0.113.9")
    assert "pw-victor" not in str(failed.details) + failed.target


def test_alert_moves_are_recorded_once_with_actor_ip_and_note(client, operator):
    alert = make_alert()
    client.force_login(operator)
    client.post(f"/api/v1/alerts/{alert.code}/resolve", {"note": "disk cleaned"},
                content_type="application/json", REMOTE_ADDR="198.51.100.7")
    assert client.post(f"/api/v1/alerts/{alert.code}/resolve", {"note": "again"},
                       content_type="application/json").status_code == 409
    (entry,) = AuditEntry.objects.filter(action__startswith="alert.")
    assert (entry.action, entry.actor, entry.ip_address) == ("alert.resolve", "olivia",
                                                              "198.51.100.7")
    assert entry.target.startswith(f"monitoring.alert:{alert.pk} ")
    assert entry.details == {"from": "firing", "to": "resolved", "note": "disk cleaned"}


def test_admin_changes_are_recorded(client, admin):
    tenant = make_tenant(name="Contoso")
    client.force_login(admin)
    client.post(f"/admin/m365admin/tenant/{tenant.pk}/change/", {
        "name": "Contoso Ltd", "tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
        "authority_url": tenant.authority_url, "graph_url": tenant.graph_url, "enabled": "on",
        "client_secret": "",
    })
    (entry,) = AuditEntry.objects.filter(action="admin.change")
    assert entry.actor == "alice"
    assert entry.target == f"m365admin.tenant:{tenant.pk} (Contoso Ltd)"
    assert "Name" in str(entry.details["change"])


def test_denied_requests_are_recorded(client, viewer):
    client.force_login(viewer)
    assert client.get("/admin/monitoring/notificationchannel/add/").status_code in (302, 403)
    assert client.post("/api/v1/alerts/00000000-0000-0000-0000-000000000000/resolve",
                       content_type="application/json").status_code == 403
    denied = AuditEntry.objects.filter(action="access.denied")
    assert "/api/v1/alerts/00000000-0000-0000-0000-000000000000/resolve" in {
        e.target for e in denied}
    assert {e.actor for e in denied} == {"victor"}
