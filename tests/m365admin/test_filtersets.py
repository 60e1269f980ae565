"""m365admin.filtersets through the API: by tenant code, and each model's own filters."""

from __future__ import annotations

from typing import Any

import pytest

from m365admin.choices import Collector, SyncStatus, UserType
from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SubscribedSku,
    SyncRun,
    Team,
)
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

TENANT_SCOPED = {
    "users": DirectoryUser,
    "mailboxes": Mailbox,
    "onedrive-accounts": OneDriveAccount,
    "teams": Team,
    "subscribed-skus": SubscribedSku,
    "service-health": ServiceHealth,
    "service-health-issues": ServiceHealthIssue,
    "sync-runs": SyncRun,
}


def _ids(client, prefix: str, query: dict[str, Any]) -> set[int]:
    response = client.get(f"/api/v1/{prefix}/", query)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("prefix, model", TENANT_SCOPED.items(), ids=list(TENANT_SCOPED))
def test_it_filters_by_tenant_code(client, viewer, prefix, model):
    mine, theirs = make_tenant(), make_tenant()
    wanted = make_rows(model, mine, 2)
    make_rows(model, theirs, 3)
    client.force_login(viewer)
    assert _ids(client, prefix, {"tenant": str(mine.code)}) == {row.pk for row in wanted}
    # The database id is not the public key: it must not select anything by accident.
    assert client.get(f"/api/v1/{prefix}/", {"tenant": mine.pk}).status_code == 400


def test_an_unknown_tenant_code_gives_an_empty_list(client, viewer):
    make_rows(DirectoryUser, make_tenant(), 2)
    client.force_login(viewer)
    assert _ids(client, "users", {"tenant": "00000000-0000-0000-0000-000000000000"}) == set()


# (prefix, model, the field that differs between the rows, its values, query, index of rows
# expected back)
PER_MODEL = [
    ("users", DirectoryUser, "is_licensed", [True, False, True], {"is_licensed": "true"}, {0, 2}),
    ("users", DirectoryUser, "user_type", [UserType.MEMBER, UserType.GUEST, UserType.MEMBER],
     {"user_type": "Guest"}, {1}),
    ("users", DirectoryUser, "display_name", ["Adele Vance", "Alex Wilber", "Megan Bowen"],
     {"q": "wil"}, {1}),
    ("users", DirectoryUser, "department", ["Sales", "Retail", "Sales"],
     {"department": "Sales"}, {0, 2}),
    ("mailboxes", Mailbox, "is_deleted", [False, True, False], {"is_deleted": "true"}, {1}),
    ("mailboxes", Mailbox, "has_archive", [True, False, False], {"has_archive": "true"}, {0}),
    ("onedrive-accounts", OneDriveAccount, "is_deleted", [False, True, True],
     {"is_deleted": "false"}, {0}),
    ("teams", Team, "visibility", ["public", "private", "private"],
     {"visibility": "private"}, {1, 2}),
    ("teams", Team, "is_archived", [True, False, None], {"is_archived": "true"}, {0}),
    ("subscribed-skus", SubscribedSku, "sku_part_number", ["ENTERPRISEPACK", "EMS", "SPE_E5"],
     {"sku_part_number": "EMS"}, {1}),
    ("service-health", ServiceHealth, "status",
     ["serviceOperational", "serviceDegradation", "serviceOperational"],
     {"status": "serviceDegradation"}, {1}),
    ("service-health-issues", ServiceHealthIssue, "is_resolved", [True, False, False],
     {"is_resolved": "false"}, {1, 2}),
    ("service-health-issues", ServiceHealthIssue, "classification",
     ["advisory", "incident", "advisory"], {"classification": "incident"}, {1}),
    ("sync-runs", SyncRun, "status", [SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.FAILED],
     {"status": "failed"}, {1, 2}),
    ("sync-runs", SyncRun, "collector", [Collector.USERS, Collector.SIGNINS, Collector.TEAMS],
     {"collector": "signins"}, {1}),
]


@pytest.mark.parametrize(
    "prefix, model, name, values, query, expected", PER_MODEL,
    ids=[f"{p}-{next(iter(q))}" for p, _m, _n, _v, q, _e in PER_MODEL],
)
def test_it_filters_each_model_by_its_own_fields(
    client, viewer, prefix, model, name, values, query, expected
):
    rows = make_rows(model, make_tenant(), len(values), **{name: lambda i: values[i]})
    client.force_login(viewer)
    assert _ids(client, prefix, query) == {rows[i].pk for i in expected}


def test_a_choice_filter_refuses_an_unknown_value(client, viewer):
    client.force_login(viewer)
    assert client.get("/api/v1/sync-runs/", {"status": "exploded"}).status_code == 400


def _sign_in_ids(params) -> set[int]:
    from m365admin.filtersets import SignInFilterSet
    from m365admin.models import SignIn

    filterset = SignInFilterSet(params, queryset=SignIn.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("pk", flat=True))


def test_a_user_is_found_by_upn_in_any_case_including_sign_ins_under_a_former_upn():
    from datetime import UTC, datetime, timedelta

    from m365admin.models import SignIn

    now = datetime(2026, 11, 28, tzinfo=UTC)
    ours, other = make_tenant(), make_tenant()
    make_rows(DirectoryUser, ours, 1, graph_id="u-1", user_principal_name="Ann@Contoso.com")
    renamed = make_rows(SignIn, ours, 2, created=lambda i: now - timedelta(hours=i),
                        user_graph_id="u-1",
                        user_principal_name=lambda i: ["ann@contoso.com", "ann.old@contoso.com"][i])
    make_rows(SignIn, other, 1, created=now, user_graph_id="u-1",  # same id, another tenant
              user_principal_name="someone@fabrikam.com")
    gone = make_rows(SignIn, ours, 1, created=now, user_graph_id="u-gone",
                     user_principal_name="Left@Contoso.com")
    expected = {row.pk for row in renamed}
    assert _sign_in_ids({"user": "ANN@contoso.com"}) == expected
    assert _sign_in_ids({"user": "u-1", "tenant": str(ours.code)}) == expected
    # Not in the directory any more: matched on the sign-ins' own UPN or id.
    assert _sign_in_ids({"user": "left@contoso.com"}) == {gone[0].pk}
    assert _sign_in_ids({"user": "u-gone"}) == {gone[0].pk}


def test_an_unknown_tenant_code_matches_nothing():
    import uuid

    make_tenant()
    assert _sign_in_ids({"tenant": str(uuid.uuid4())}) == set()
