from m365admin.models.directory import DirectoryUser, SubscribedSku
from m365admin.models.health import ServiceHealth, ServiceHealthIssue
from m365admin.models.licences import HeldLicence, LicenceIdle, LicenceProduct, Subscription
from m365admin.models.rollups import SignInHourly
from m365admin.models.signins import SignIn
from m365admin.models.sync import GraphUsage, SyncCheckpoint, SyncRun
from m365admin.models.tenants import Tenant
from m365admin.models.usage import Mailbox, OneDriveAccount, Team

# Not here: the security feed's outbox and its delivery position (m365admin.models.feed),
# bookkeeping read through /api/v1/feed/security and the syslog forwarder, not M365 entities;
# nor the task workers' heartbeats (m365admin.models.workers).

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
    "Tenant",
    "Team",
]
