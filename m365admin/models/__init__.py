from m365admin.models.directory import DirectoryUser, SubscribedSku
from m365admin.models.feed import FeedDelivery, FeedRecord
from m365admin.models.licences import HeldLicence, LicenceIdle, LicenceProduct, Subscription
from m365admin.models.health import ServiceHealth, ServiceHealthIssue
from m365admin.models.rollups import SignInHourly
from m365admin.models.signins import SignIn
from m365admin.models.sync import GraphUsage, SyncCheckpoint, SyncRun
from m365admin.models.tenants import Tenant
from m365admin.models.usage import Mailbox, OneDriveAccount, Team

__all__ = [
    "DirectoryUser",
    "FeedDelivery",
    "FeedRecord",
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
