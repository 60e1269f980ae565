"""The tenants we watch, and the base for everything synced from them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.apps import apps
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from m365admin.choices import Collector, SyncStatus
from m365admin.lib import crypto
from m365admin.lib.fields import EncryptedTextField

GUID_VALIDATOR = RegexValidator(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    _("Enter a GUID such as 00000000-0000-0000-0000-000000000000."),
)
# A tenant is named by its GUID or a verified domain (CONTRACT 3: not common/organizations).
TENANT_ID_VALIDATOR = RegexValidator(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$",
    _("Enter the tenant's GUID or one of its verified domains."),
)


# A client secret this close to its expiry date (or past it) raises an alert.
SECRET_NOTICE_DAYS = 30


class TenantQuerySet(models.QuerySet["Tenant"]):
    def enabled(self) -> TenantQuerySet:
        return self.filter(enabled=True)

    def secret_expiring(self, today: date) -> TenantQuerySet:
        """Enabled tenants whose client secret expires within SECRET_NOTICE_DAYS or has
        expired: their syncs stop on that day unless someone enters a new secret."""
        return self.enabled().filter(
            secret_expires__lte=today + timedelta(days=SECRET_NOTICE_DAYS)
        )

    def without_sign_in_logs(self) -> TenantQuerySet:
        """Tenants whose latest sync of sign-in logs or sign-in activity was skipped: Graph
        refuses them sign-in data (no Entra ID P1/P2), so their users' silence says nothing
        about their activity."""
        runs = apps.get_model("m365admin", "SyncRun").objects.filter(tenant=OuterRef("pk"))

        def latest(collector: str) -> Subquery:
            return Subquery(runs.filter(collector=collector).order_by("-started").values("status")[:1])

        return self.annotate(
            signins_status=latest(Collector.SIGNINS),
            activity_status=latest(Collector.SIGNIN_ACTIVITY),
        ).filter(Q(signins_status=SyncStatus.SKIPPED) | Q(activity_status=SyncStatus.SKIPPED))


class Tenant(models.Model):
    code = models.UUIDField(_("code"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    tenant_id = models.CharField(
        _("tenant ID"), max_length=253, unique=True, validators=[TENANT_ID_VALIDATOR]
    )
    client_id = models.CharField(
        _("application (client) ID"), max_length=36, validators=[GUID_VALIDATOR]
    )
    # Fernet token; read through client_secret(), written through set_client_secret().
    client_secret_encrypted = EncryptedTextField(_("client secret (encrypted)"))
    secret_expires = models.DateField(_("client secret expires"), null=True, blank=True)
    authority_url = models.URLField(
        _("authority URL"), default="https://login.microsoftonline.com",
        help_text=_("The identity platform host, without the tenant."),
    )
    graph_url = models.URLField(
        _("Graph URL"), default="https://graph.microsoft.com",
        help_text=_("The Microsoft Graph host, without the version."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # Served by the built-in Graph simulator; its URLs are rewritten when the simulator starts.
    is_demo = models.BooleanField(_("demo tenant"), default=False, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # "Sync now": set by an Administrator, cleared by the scheduler when it starts the sync.
    sync_requested = models.DateTimeField(
        _("sync requested"), null=True, blank=True, editable=False
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name

    def set_client_secret(self, plaintext: str) -> None:
        """Encrypt and keep the client secret; the plaintext is never stored."""
        self.client_secret_encrypted = crypto.encrypt(plaintext)

    def client_secret(self) -> str:
        """The decrypted client secret (raises crypto.SecretUnreadable if no key fits)."""
        return crypto.decrypt(self.client_secret_encrypted)

    def has_client_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    def authority(self) -> str:
        """The msal authority for client credentials: host + tenant (CONTRACT 3)."""
        return f"{self.authority_url.rstrip('/')}/{self.tenant_id}"


class TenantOwned(models.Model):
    """Rows synced from one tenant. Deleting the tenant deletes them in the database, not row
    by row in Python (millions of sign-ins)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.DB_CASCADE, verbose_name=_("tenant")
    )
    synced = models.DateTimeField(_("last synced"), default=timezone.now)

    class Meta:
        abstract = True
