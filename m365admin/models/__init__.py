# The task queue's bookkeeping (docs/tasks.md): imported for Django to find, not M365 entities.
from m365admin.models import (  # noqa: F401  (registered, see below)
    audit,
    preferences,
    tasks,
)
from m365admin.models.directory import DirectoryUser, SubscribedSku
from m365admin.models.health import ServiceHealth, ServiceHealthIssue
from m365admin.models.licences import HeldLicence, LicenceIdle, LicenceProduct, Subscription
from m365admin.models.rollups import SignInHourly
from m365admin.models.signins import SignIn
from m365admin.models.sync import GraphUsage, SyncCheckpoint, SyncRun
from m365admin.models.tenants import Tenant
from m365admin.models.usage import Mailbox, OneDriveAccount, Team

# Not here: the security feed's outbox and its delivery position (m365admin.models.feed),
# bookkeeping read through /api/v1/feed/security and the syslog forwarder, and the audit log
# (m365admin.models.audit, written through m365admin.audit), people's preferences
# (m365admin.models.preferences), nor the task workers' heartbeats (m365admin.models.workers):
# not M365 entities.

__all__ = [
    "DirectoryUser",
    "GraphUsage",
    "HeldLicence",
    "LicenceIdle",
    "LicenceProduct",
    "Mailbox",
    "OneDriveAccount",
    "ServiceHealth",
    "ServiceHealthIssue",
    "SignIn",
    "SignInHourly",
    "SubscribedSku",
    "Subscription",
    "SyncCheckpoint",
    "SyncRun",
    "Team",
    "Tenant",
]
