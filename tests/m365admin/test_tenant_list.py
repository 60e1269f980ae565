"""The tenants page (/): counts per tenant and the latest run of each collector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import ANY

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from collectors.tasks import enqueue_run
from m365admin.choices import Collector, SyncStatus, SyncTrigger, UserType
from m365admin.models import DirectoryUser, Mailbox, SignIn, SyncRun, Team
from m365admin.overview import QueuedRun
from m365admin.rollups import refresh_signin_hours
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
ERROR = "Graph answered 403: the app lacks AuditLog.Read.All."


def _figures(response, tenant) -> dict[str, int]:
    (overview,) = [o for o in response.context["overviews"] if o.tenant == tenant]
    return {name: getattr(overview, name) for name in
            ("users", "licensed", "guests", "mailboxes", "teams", "signins_24h",
             "failed_signins_24h")}


def _populate(tenant) -> None:
    make_rows(DirectoryUser, tenant, 6, is_licensed=lambda i: i < 4,
              user_type=lambda i: UserType.GUEST if i in (1, 2) else UserType.MEMBER,
              deleted=lambda i: i == 5)  # the deleted one counts nowhere
    make_rows(Mailbox, tenant, 3, is_deleted=lambda i: i == 2)
    make_rows(Team, tenant, 2)
    # 8 sign-ins in the last 24 h (2 failed), 1 from two days ago; counted from the hourly
    # rollups, as a sign-in sync leaves them.
    make_rows(SignIn, tenant, 9,
              created=lambda i: NOW - (timedelta(days=2) if i == 8 else timedelta(hours=i)),
              error_code=lambda i: 50126 if i in (3, 8) or i == 5 else 0)
    refresh_signin_hours(tenant, NOW - timedelta(days=3), NOW)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_a_user_without_view_tenant_gets_403(client, outsider):
    make_tenant()
    client.force_login(outsider)
    assert client.get("/").status_code == 403


def test_it_rejects_post(client, viewer):
    client.force_login(viewer)
    assert client.post("/").status_code == 405


def test_it_counts_each_tenants_users_workloads_and_sign_ins(client, viewer):
    contoso, fabrikam = make_tenant(name="Contoso"), make_tenant(name="Fabrikam")
    _populate(contoso)
    make_rows(DirectoryUser, fabrikam, 1)
    client.force_login(viewer)
    response = client.get("/")
    assert response.status_code == 200
    assert _figures(response, contoso) == {
        "users": 5, "licensed": 4, "guests": 2, "mailboxes": 2, "teams": 2,
        "signins_24h": 8, "failed_signins_24h": 2,
    }
    assert _figures(response, fabrikam) == {
        "users": 1, "licensed": 0, "guests": 0, "mailboxes": 0, "teams": 0,
        "signins_24h": 0, "failed_signins_24h": 0,
    }


def test_it_shows_the_figures_and_the_failure_rate(client, viewer):
    tenant = make_tenant(name="Contoso")
    _populate(tenant)
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert "Contoso" in html and tenant.tenant_id in html
    for label, value in [("Users", 5), ("Licensed", 4), ("Guests", 2), ("Mailboxes", 2),
                         ("Teams", 2), ("Sign-ins (24 h)", 8)]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html
    assert "<dt>Failed sign-ins (24 h)</dt><dd>2 <span class=\"muted\">(25.0 %)</span>" in html


def test_no_sign_ins_shows_no_failure_rate(client, viewer):
    make_tenant()
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert "<dt>Failed sign-ins (24 h)</dt><dd>0</dd>" in html


def test_it_shows_the_latest_run_of_each_collector(client, viewer):
    tenant = make_tenant()
    make_rows(SyncRun, tenant, 3, collector=Collector.SIGNINS,
              started=lambda i: NOW - timedelta(hours=3 - i),
              status=lambda i: [SyncStatus.SUCCEEDED, SyncStatus.SUCCEEDED, SyncStatus.FAILED][i],
              written=lambda i: 100 + i,
              error=lambda i: ERROR if i == 2 else "")
    make_rows(SyncRun, tenant, 1, collector=Collector.USERS, status=SyncStatus.SUCCEEDED,
              written=42)
    client.force_login(viewer)
    response = client.get("/")
    (overview,) = response.context["overviews"]
    runs = {label: last for label, last, _queued in overview.runs}
    assert list(runs) == [c.label for c in Collector]
    assert runs[Collector.SIGNINS.label].written == 102
    assert runs[Collector.USERS.label].written == 42
    assert runs[Collector.TEAMS.label] is None
    html = response.content.decode()
    assert '<span class="status status-failed">Failed</span>' in html
    assert f'<td class="error">{ERROR}</td>' in html
    assert html.count("Never run") == len(Collector) - 2


def test_another_tenants_runs_stay_with_it(client, viewer):
    make_tenant(name="A")
    theirs = make_tenant(name="B")
    make_rows(SyncRun, theirs, 1, collector=Collector.USERS, status=SyncStatus.FAILED)
    client.force_login(viewer)
    overviews = client.get("/").context["overviews"]
    assert _last(overviews[0], Collector.USERS) is None
    assert _last(overviews[1], Collector.USERS).status == SyncStatus.FAILED


def _last(overview, collector):
    return next(state.last for state in overview.runs if state.label == collector.label)


def test_a_queued_run_and_a_retry_are_shown_beside_their_collector(client, viewer, settings):
    """What waits in the task queue: a scheduled run, and a run retried after failing."""
    settings.TASK_MAX_ATTEMPTS = 3
    tenant, other = make_tenant(name="A"), make_tenant(name="B")
    enqueue_run(tenant, Collector.USERS, SyncTrigger.SCHEDULED)
    enqueue_run(other, Collector.SKUS, SyncTrigger.SCHEDULED)
    # The second one failed once and waits for its next attempt (as the worker leaves it).
    retry_at = timezone.now() + timedelta(minutes=5)
    DBTaskResult.objects.filter(args_kwargs__kwargs__tenant_pk=other.pk).update(
        worker_ids=["w1"], run_after=retry_at)
    client.force_login(viewer)
    response = client.get("/")
    first, second = response.context["overviews"]
    queued = {state.label: state.queued for state in first.runs if state.queued}
    assert queued == {Collector.USERS.label: QueuedRun(1, ANY)}
    queued = {state.label: state.queued for state in second.runs if state.queued}
    assert queued == {Collector.SKUS.label: QueuedRun(2, retry_at)}
    html = response.content.decode()
    assert html.count('<span class="badge">queued</span>') == 1
    assert "retry 2 of 3</span>" in html
    # Once it runs, it is no longer waiting.
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)
    assert "queued</span>" not in client.get("/").content.decode()


def test_a_disabled_and_a_demo_tenant_are_marked(client, viewer):
    make_tenant(name="Off", enabled=False), make_tenant(name="Demo", is_demo=True)
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert '<span class="badge muted">disabled</span>' in html
    assert '<span class="badge">demo</span>' in html


def test_with_no_tenant_it_says_so_and_offers_registration_to_an_admin(client, admin):
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert "No tenant is registered yet." in html
    assert 'href="/tenants/add/"' in html


def test_with_no_tenant_a_viewer_is_told_to_ask_an_administrator(client, viewer):
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert "No tenant is registered yet." in html
    assert "Ask an administrator to register one." in html
    assert "/admin/" not in html


def test_the_query_count_does_not_grow_with_tenants(client, viewer):
    client.force_login(viewer)
    counts = []
    for more in (1, 4):  # 1 tenant, then 5
        for _ in range(more):
            tenant = make_tenant()
            _populate(tenant)
            make_rows(SyncRun, tenant, 2, collector=lambda i: [Collector.USERS, Collector.TEAMS][i])
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert len(response.context["overviews"]) == 5
    assert counts[0] == counts[1]
