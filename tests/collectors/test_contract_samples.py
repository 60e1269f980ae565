"""Contract tests: the documented Graph payloads map to our models with the right values."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from collectors.sync import (
    mailboxes,
    onedrive,
    service_health,
    signin_activity,
    signin_rows,
    signins,
    skus,
    subscriptions,
    teams,
    users,
)
from collectors.sync.base import SyncContext
from m365admin.choices import Collector, HealthLevel
from m365admin.models import DirectoryUser, SignIn, SyncCheckpoint, SyncRun
from tests.factories import make_tenant
from tests.samples import SAMPLES, sample

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def sign_in_row(item: dict, now: datetime) -> dict | None:
    """Decode one signIn object as the collector does, and map it to column values."""
    row = signin_rows.RowMapper(1, now).row(msgspec.convert(item, signin_rows.SignInItem))
    return None if row is None else signin_rows.as_dict(row)


@pytest.fixture
def ctx(db):
    tenant = make_tenant()
    run = SyncRun.objects.create(tenant=tenant, collector=Collector.USERS)
    checkpoint = SyncCheckpoint.objects.create(tenant=tenant, collector=Collector.USERS)
    return SyncContext(tenant, client=None, run=run, checkpoint=checkpoint)


def test_the_samples_are_there():
    assert (SAMPLES / "signins_list.json").exists(), f"Graph samples not found under {SAMPLES}"


def test_a_v1_sign_in_maps_to_a_row():
    item = sample("signins_list.json")["value"][0]
    row = sign_in_row(item, datetime(2020, 3, 14, tzinfo=UTC))
    assert row["graph_id"] == "66ea54eb-6301-4ee5-be62-ff5a759b0100"
    # Seven fractional digits, rounded to microseconds, in UTC.
    assert row["created"] == datetime(2020, 3, 13, 19, 15, 41, 619583, tzinfo=UTC)
    assert row["user_principal_name"] == "testaccount1@contoso.com"
    assert row["ip_address"] == "131.107.159.37"
    assert row["client_app_used"] == "Browser"
    assert row["error_code"] == 0 and row["failure_reason"] == ""
    assert (row["country"], row["city"], row["state"]) == ("US", "Redmond", "Washington")
    assert row["latitude"] == pytest.approx(47.6805) and row["longitude"] == pytest.approx(-122.1209)
    assert row["device_compliant"] is None and row["operating_system"] == "Windows 10"
    assert row["risk_level_during_sign_in"] == "none" and row["risk_event_types"] == []
    assert row["conditional_access_status"] == "notApplied" and row["is_interactive"] is True


def test_a_beta_sign_in_maps_its_authentication_requirement():
    for item in sample("signins_list_beta.json")["value"]:
        created = datetime.fromisoformat(item["createdDateTime"])
        row = sign_in_row(item, created)
        assert row is not None
        assert row["graph_id"] == item["id"]
        assert row["authentication_requirement"] == item.get("authenticationRequirement", "")


def test_the_row_columns_are_the_sign_in_table_columns():
    model_columns = {f.column for f in SignIn._meta.local_fields if not f.primary_key}
    assert set(signin_rows.COLUMNS) == model_columns
    assert len(signin_rows.COLUMNS) == len(model_columns)


@pytest.mark.parametrize("created", ["", "0001-01-01T00:00:00Z", None, "not a date"])
def test_a_sign_in_without_a_usable_time_is_rejected(created):
    item = dict(sample("signins_list.json")["value"][0], createdDateTime=created)
    assert sign_in_row(item, NOW) is None


def test_a_sign_in_far_outside_retention_is_rejected():
    item = sample("signins_list.json")["value"][0]  # from 2020
    assert sign_in_row(item, NOW) is None


def test_missing_optional_fields_and_unknown_enums_are_kept_loosely():
    item = {"id": "x", "createdDateTime": "2026-11-27T10:00:00Z", "riskState": "someNewState",
            "location": {"geoCoordinates": {}}, "ipAddress": "not-an-ip", "status": None}
    row = sign_in_row(item, NOW)
    assert row["risk_state"] == "someNewState"
    assert row["ip_address"] is None and row["latitude"] is None
    assert row["error_code"] == 0 and row["user_principal_name"] == ""


@pytest.mark.django_db
def test_the_users_delta_samples_create_update_and_remove(ctx):
    DirectoryUser.objects.create(tenant=ctx.tenant, graph_id="8ffff70c-1c63-4860-b963-e34ec660931d",
                                 user_principal_name="soon.gone@contoso.com")
    written, removed = users.write_page(ctx, sample("users_delta.json")["value"])
    # The sample's @removed user was never seen: nothing to keep, nothing created.
    assert (written, removed) == (3, 0)
    cameron = DirectoryUser.objects.get(graph_id="ffff7b1a-13b6-477b-8c0c-380905cd99f7")
    assert cameron.display_name == "Cameron White" and not cameron.deleted
    written, removed = users.write_page(ctx, sample("users_delta_changes.json")["value"])
    assert (written, removed) == (1, 1)
    gone = DirectoryUser.objects.get(graph_id="8ffff70c-1c63-4860-b963-e34ec660931d")
    assert gone.deleted and gone.deleted_reason == "changed"
    assert gone.user_principal_name == "soon.gone@contoso.com"  # kept, only flagged


@pytest.mark.django_db
def test_a_partial_delta_item_keeps_the_properties_it_omits(ctx):
    licensed = [i for i in sample("users_list_assigned_licenses.json")["value"] if i["assignedLicenses"]]
    users.write_page(ctx, licensed[:1])
    user = DirectoryUser.objects.get(tenant=ctx.tenant)
    assert user.is_licensed and user.sku_ids()
    users.write_page(ctx, [{"id": user.graph_id, "displayName": "Renamed"}])
    user.refresh_from_db()
    assert user.display_name == "Renamed" and user.is_licensed and user.sku_ids()


@pytest.mark.django_db
def test_the_users_list_sample_maps_every_field(ctx):
    item = sample("users_list.json")["value"][0]
    users.write_page(ctx, [item])
    user = DirectoryUser.objects.get(graph_id=item["id"])
    assert user.user_principal_name == item["userPrincipalName"]
    assert user.display_name == item["displayName"]
    assert user.mail == (item.get("mail") or "")


@pytest.mark.django_db
def test_sign_in_activity_maps_sentinels_to_none(ctx):
    items = sample("users_list_sign_in_activity.json")["value"]
    users.write_page(ctx, items)
    assert signin_activity.write_page(ctx, items) == 2
    adele = DirectoryUser.objects.get(graph_id="1aecaf40-dc3a-461f-88a8-d06994e12898")
    assert adele.last_sign_in == datetime(2021, 6, 17, 16, 41, 33, tzinfo=UTC)
    assert adele.last_non_interactive_sign_in is None  # 0001-01-01T00:00:00Z
    assert adele.last_successful_sign_in is None  # ""


@pytest.mark.django_db
def test_subscribed_skus_map_units(ctx):
    models = [skus.to_model(ctx, item, NOW) for item in sample("subscribed_skus.json")["value"]]
    first = models[0]
    assert (first.sku_part_number, first.capability_status) == ("ENTERPRISEPREMIUM", "Enabled")
    assert (first.consumed_units, first.prepaid_enabled, first.available_units()) == (14, 25, 11)
    assert models[1].prepaid_suspended == 25 and models[1].available_units() == -14


@pytest.mark.django_db
def test_company_subscriptions_map_status_trial_and_dates(ctx):
    (item,) = sample("company_subscriptions.json")["value"]
    row = subscriptions.to_model(ctx, item, NOW)
    assert (row.graph_id, row.sku_id, row.sku_part_number) == (
        "860697e3-b0aa-4196-a6c6-7ec361ed58f7", "0816ccb9-3785-4d19-bf78-6c53e2106509",
        "MyPartNumber")
    assert (row.status, row.total_licenses, row.is_trial) == ("Enabled", 25, False)
    assert row.next_lifecycle == datetime(2023, 2, 1, tzinfo=UTC)
    assert row.created_in_graph == datetime(2023, 1, 1, tzinfo=UTC)
    assert subscriptions.to_model(ctx, {**item, "skuId": None}, NOW) is None


@pytest.mark.django_db
def test_service_health_samples_map_with_case_insensitive_levels(ctx):
    overviews = sample("service_health_overviews.json")["value"]
    health = [service_health.overview(ctx, item, NOW) for item in overviews]
    assert all(h.service_id and h.service for h in health)
    assert health[0].level() == HealthLevel.OPERATIONAL or health[0].status
    issue = service_health.issue(ctx, sample("service_health_issues.json")["value"][0], NOW)
    assert (issue.issue_id, issue.status, issue.is_resolved) == ("EX226792", "ServiceRestored", True)
    assert issue.level() == HealthLevel.OPERATIONAL
    assert issue.start == datetime(2020, 11, 13, 21, tzinfo=UTC)
    assert issue.classification == "Incident"


@pytest.mark.django_db
def test_teams_samples_map(ctx):
    listed = sample("teams_list.json")["value"]
    details = sample("team_get.json")
    team = teams.to_model(ctx, {**listed[0], **details}, NOW)
    assert team.graph_id == listed[0]["id"]
    assert team.display_name == details.get("displayName", listed[0]["displayName"])
    assert team.is_archived == details.get("isArchived")


def _csv_from_json(item: dict, columns: list[str], json_keys: dict[str, str]) -> dict[str, str]:
    """Render a beta JSON report row as the v1.0 CSV would carry it."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerow({column: "" if item.get(key) is None else str(item[key])
                     for column, key in json_keys.items()})
    return next(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.mark.django_db
def test_the_mailbox_report_sample_maps_through_the_csv_columns(ctx):
    columns = sample("reports_csv_contract.json")["getMailboxUsageDetail"]
    item = sample("mailbox_usage_detail.json")["value"][0]
    row = _csv_from_json(item, columns, {
        "Report Refresh Date": "reportRefreshDate", "User Principal Name": "userPrincipalName",
        "Display Name": "displayName", "Is Deleted": "isDeleted", "Deleted Date": "deletedDate",
        "Created Date": "createdDate", "Last Activity Date": "lastActivityDate",
        "Item Count": "itemCount", "Storage Used (Byte)": "storageUsedInBytes",
        "Issue Warning Quota (Byte)": "issueWarningQuotaInBytes",
        "Prohibit Send Quota (Byte)": "prohibitSendQuotaInBytes",
        "Prohibit Send/Receive Quota (Byte)": "prohibitSendReceiveQuotaInBytes",
        "Deleted Item Count": "deletedItemCount", "Deleted Item Size (Byte)": "deletedItemSizeInBytes",
        "Deleted Item Quota (Byte)": "deletedItemQuota", "Has Archive": "hasArchive",
        "Report Period": "reportPeriod",
    })
    mailbox = mailboxes.to_model(ctx, row, NOW)
    assert mailbox.user_principal_name == "userPrincipalName-value"
    assert mailbox.storage_used_bytes == 10414748704 and mailbox.item_count == 138481
    assert mailbox.prohibit_send_quota_bytes == 10630040576 and mailbox.has_archive is True
    assert mailbox.report_refresh_date == date(2017, 9, 1) and mailbox.report_period == 7
    assert mailbox.deleted_date is None and mailbox.is_deleted is False
    assert mailbox.quota_used_percent() == pytest.approx(97.98, abs=0.01)


@pytest.mark.django_db
def test_the_onedrive_report_sample_maps_through_the_csv_columns(ctx):
    columns = sample("reports_csv_contract.json")["getOneDriveUsageAccountDetail"]
    item = sample("onedrive_usage_account_detail.json")["value"][0]
    row = _csv_from_json(item, columns, {
        "Report Refresh Date": "reportRefreshDate", "Site URL": "siteUrl",
        "Owner Display Name": "ownerDisplayName", "Is Deleted": "isDeleted",
        "Last Activity Date": "lastActivityDate", "File Count": "fileCount",
        "Active File Count": "activeFileCount", "Storage Used (Byte)": "storageUsedInBytes",
        "Storage Allocated (Byte)": "storageAllocatedInBytes",
        "Owner Principal Name": "ownerPrincipalName", "Report Period": "reportPeriod",
    })
    account = onedrive.to_model(ctx, row, NOW)
    assert account.site_url == "siteUrl-value" and account.owner_principal_name == "ownerPrincipalName-value"
    assert (account.file_count, account.active_file_count) == (9, 5)
    assert account.storage_allocated_bytes == 549755813880


@pytest.mark.django_db
def test_a_sign_in_page_is_written_once_however_often_it_arrives(ctx):
    items = [dict(item, createdDateTime="2026-11-27T10:00:00Z")
             for item in sample("signins_list.json")["value"]]
    ctx.run.collector = Collector.SIGNINS
    mapper = signin_rows.RowMapper(ctx.tenant.pk, NOW)
    decoded = [msgspec.convert(item, signin_rows.SignInItem) for item in items]
    window_end = datetime(2026, 11, 27, 11, tzinfo=UTC)
    ctx.checkpoint.window_start, ctx.checkpoint.window_end = window_end - timedelta(hours=2), window_end
    signins.store_page(ctx, signins.map_page(mapper, decoded, next_link="more"), stored_until=None)
    stored = SignIn.objects.filter(tenant=ctx.tenant).latest("created").created
    signins.store_page(ctx, signins.map_page(mapper, decoded + decoded), stored_until=stored)
    assert SignIn.objects.filter(tenant=ctx.tenant).count() == len(items)
    assert ctx.run.written == len(items)
    # The page without a nextLink closed the window: all of it is behind the watermark.
    assert ctx.checkpoint.watermark == window_end and ctx.checkpoint.window_end is None
