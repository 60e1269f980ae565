"""What a run records when the tenant's credentials or the network are wrong."""

from __future__ import annotations

import logging
import socket

import pytest
from cryptography.fernet import Fernet

from collectors.clients import client_for
from collectors.simulator import Fault
from collectors.sync.runner import run_collector
from m365admin.choices import Collector, SyncStatus
from m365admin.models import DirectoryUser, Subscription, SyncRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wrong_secret_fails_in_one_line_that_never_shows_the_secret(sim_tenant, caplog):
    tenant, spec = sim_tenant
    tenant.set_client_secret("wrong-secret-value-123")
    tenant.save()
    with caplog.at_level(logging.DEBUG):
        run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.FAILED
    assert "\n" not in run.error
    assert spec.tenant_id in run.error and "invalid_client" in run.error
    assert "AADSTS7000215" in run.error
    for text in (run.error, caplog.text):
        assert "wrong-secret-value-123" not in text
        assert spec.client_secret not in text
    assert not DirectoryUser.objects.filter(tenant=tenant).exists()


def test_an_unreachable_authority_fails_in_one_line(sim_tenant):
    tenant, _ = sim_tenant
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tenant.authority_url = f"https://127.0.0.1:{port}"
    tenant.save()
    waits: list[float] = []
    client_for(tenant).sleep = waits.append  # the same cached client the run will use
    run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.FAILED
    assert "\n" not in run.error and f"127.0.0.1:{port}" in run.error
    assert waits, "a refused connection is transient: it is retried with backoff first"


def test_a_graph_error_envelope_is_recorded_with_its_code(sim_tenant, simulator):
    tenant, spec = sim_tenant
    simulator.faults.add(Fault("status", path=r"/subscribedSkus", tenant=spec.tenant_id, status=403,
                               code="Authorization_RequestDenied",
                               message="Insufficient privileges to complete the operation."))
    run = run_collector(tenant, Collector.SKUS)
    assert run.status == SyncStatus.FAILED
    assert run.error_code == "Authorization_RequestDenied"
    assert "Insufficient privileges" in run.error or "Authorization_RequestDenied" in run.error


def test_a_secret_no_key_can_read_fails_the_run_with_what_to_do(sim_tenant, settings):
    tenant, _ = sim_tenant
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    run = run_collector(tenant, Collector.USERS)
    assert run.status == SyncStatus.FAILED
    assert run.error_code == "secret_unreadable" and "FERNET_KEYS" in run.error


def test_every_run_leaves_a_finished_row(sim_tenant):
    tenant, _ = sim_tenant
    run = run_collector(tenant, Collector.SKUS)
    row = SyncRun.objects.get(pk=run.pk)
    assert row.status == SyncStatus.SUCCEEDED and row.finished and row.duration().total_seconds() >= 0
    assert row.pages == 1 and row.written > 0


def test_subscriptions_are_synced_and_a_denied_permission_fails_the_run(sim_tenant, simulator):
    tenant, spec = sim_tenant
    run = run_collector(tenant, Collector.SUBSCRIPTIONS)
    assert run.status == SyncStatus.SUCCEEDED
    trial = Subscription.objects.get(tenant=tenant, sku_part_number="POWER_BI_PRO")
    assert (trial.is_trial, trial.status) == (True, "Warning") and trial.next_lifecycle
    simulator.faults.add(Fault("status", path=r"/directory/subscriptions", tenant=spec.tenant_id,
                               status=403, code="Authorization_RequestDenied"))
    denied = run_collector(tenant, Collector.SUBSCRIPTIONS)
    assert (denied.status, denied.error_code) == (SyncStatus.FAILED, "Authorization_RequestDenied")
    # A failed listing removes nothing.
    assert Subscription.objects.filter(tenant=tenant).count() == len(spec.subscriptions())
