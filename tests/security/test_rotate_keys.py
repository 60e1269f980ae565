"""rotate-keys: every secret re-encrypted under the new first key, found through the app
registry; unreadable ones named."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models

from m365admin.lib import crypto
from m365admin.lib.fields import EncryptedTextField
from m365admin.models import Tenant
from m365admin.models.audit import AuditEntry
from monitoring.models import NotificationChannel
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def _rotate() -> str:
    out = io.StringIO()
    call_command("rotate-keys", "--no-progress", stdout=out)
    return out.getvalue()


def _channel(secret: str) -> NotificationChannel:
    channel = NotificationChannel(name="hook", kind="webhook",
                                  config={"url": "https://8.8.8.8/h"})
    channel.set_secret(secret)
    channel.save()
    return channel


def test_a_rotation_round_trip(settings):
    settings.FERNET_KEYS = [OLD]
    tenant, channel = make_tenant(secret="tenant-secret"), _channel("hook-secret")
    settings.FERNET_KEYS = [NEW, OLD]  # step 1: the new key first, the old one still readable
    assert "2 secrets re-encrypted" in _rotate()
    settings.FERNET_KEYS = [NEW]  # step 3: the old key gone
    assert Tenant.objects.get(pk=tenant.pk).client_secret() == "tenant-secret"
    assert NotificationChannel.objects.get(pk=channel.pk).secret() == "hook-secret"
    assert AuditEntry.objects.get(action="secrets.rotated").details == {"rotated": 2,
                                                                        "unreadable": 0}


def test_a_secret_no_key_reads_is_named_and_left_alone(settings):
    settings.FERNET_KEYS = [LOST]
    lost = make_tenant(name="Fabrikam", secret="gone")
    settings.FERNET_KEYS = [OLD]
    kept = make_tenant(name="Contoso", secret="kept")
    before = Tenant.objects.get(pk=lost.pk).client_secret_encrypted
    settings.FERNET_KEYS = [NEW, OLD]
    with pytest.raises(CommandError, match=rf"1 secrets could not be decrypted.*"
                                           rf"m365admin.tenant:{lost.pk} \(Fabrikam\)"):
        _rotate()
    assert Tenant.objects.get(pk=lost.pk).client_secret_encrypted == before
    settings.FERNET_KEYS = [NEW]
    assert Tenant.objects.get(pk=kept.pk).client_secret() == "kept"


@pytest.fixture
def vault():
    """A model the command has never heard of, with an encrypted column: registered in the app
    registry and given a table for this test only."""

    class Vault(models.Model):
        secret = EncryptedTextField()

        class Meta:
            app_label = "security"

    with connection.schema_editor() as editor:
        editor.create_model(Vault)
    yield Vault
    with connection.schema_editor() as editor:
        editor.delete_model(Vault)
    del apps.all_models["security"]["vault"]
    apps.clear_cache()


def test_a_new_encrypted_column_is_rotated_without_being_named(settings, vault):
    settings.FERNET_KEYS = [OLD]
    row = vault.objects.create(secret=crypto.encrypt("vaulted"))
    settings.FERNET_KEYS = [NEW, OLD]
    assert "1 secrets re-encrypted" in _rotate()
    settings.FERNET_KEYS = [NEW]
    assert crypto.decrypt(vault.objects.get(pk=row.pk).secret) == "vaulted"


def test_a_malformed_key_stops_it_before_anything_is_written(settings):
    settings.FERNET_KEYS = [OLD]
    tenant = make_tenant(secret="tenant-secret")
    before = Tenant.objects.get(pk=tenant.pk).client_secret_encrypted
    settings.FERNET_KEYS = ["not-a-key", OLD]
    with pytest.raises(ImproperlyConfigured, match="FERNET_KEYS: key 1 is not a Fernet key"):
        _rotate()
    assert Tenant.objects.get(pk=tenant.pk).client_secret_encrypted == before
