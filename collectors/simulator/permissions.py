"""Application permissions: which ones an app holds, and which ones let it read each resource.

An app-only token carries the application permissions an administrator consented to when it
was issued (CONTRACT 3: permissions added later appear only in new tokens). A resource answers
403 `Authorization_RequestDenied` unless the token holds one of the permissions CONTRACT 2 and 5
list for it.
"""

from __future__ import annotations

DENIED_CODE = "Authorization_RequestDenied"
DENIED_MESSAGE = "Insufficient privileges to complete the operation."

USERS = frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All",
                   "Directory.ReadWrite.All"})
# signInActivity: on top of reading users (CONTRACT 2.1).
SIGN_IN_ACTIVITY = frozenset({"AuditLog.Read.All"})
AUDIT_LOGS = frozenset({"AuditLog.Read.All"})
REPORTS = frozenset({"Reports.Read.All"})
REPORT_SETTINGS = frozenset({"ReportSettings.Read.All", "ReportSettings.ReadWrite.All"})
TEAMS = frozenset({"Team.ReadBasic.All", "TeamSettings.Read.All", "TeamSettings.ReadWrite.All"})
TEAM_MEMBERS = frozenset({"TeamMember.Read.All", "TeamMember.ReadWrite.All"})
GROUPS = frozenset({"Group.Read.All", "GroupMember.Read.All", "Directory.Read.All"})
SERVICE_HEALTH = frozenset({"ServiceHealth.Read.All"})
ORGANIZATION = frozenset({"Organization.Read.All", "Organization.ReadWrite.All",
                          "Directory.Read.All", "Directory.ReadWrite.All"})
SUBSCRIPTIONS = frozenset({"LicenseAssignment.Read.All", "Directory.Read.All"})

# What a SimTenant's app holds unless told otherwise: everything above.
ALL = frozenset().union(USERS, SIGN_IN_ACTIVITY, AUDIT_LOGS, REPORTS, REPORT_SETTINGS, TEAMS,
                        TEAM_MEMBERS, GROUPS, SERVICE_HEALTH, ORGANIZATION, SUBSCRIPTIONS)
