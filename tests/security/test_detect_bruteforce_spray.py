"""Brute force, password spray and distributed spray, at and around their thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin.choices import Severity
from m365admin.models import SignIn
from security.choices import EventKind
from security.detections import runner
from security.models import DetectionCursor, DetectionSettings, SecurityEvent
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
APP, CLIENT = "Office 365 Exchange Online", "Browser"


@pytest.fixture
def tenant():
    return make_tenant()


def fail(tenant, n: int = 1, *, user="kim", at=T0, every=MINUTE, ip="198.51.100.7",
         code=50126, **fields) -> list[SignIn]:
    """`n` sign-ins of `user` from `ip`, `every` apart from `at` (a failure unless `code`)."""
    fields.setdefault("user_principal_name", f"{user}@contoso.com" if user else "")
    fields.setdefault("user_graph_id", f"id-{user}" if user else "")
    fields.setdefault("app_display_name", APP)
    fields.setdefault("client_app_used", CLIENT)
    return make_rows(SignIn, tenant, n, created=lambda i: at + i * every, ip_address=ip,
                     error_code=code, **fields)


def spray(tenant, accounts: int, *, attempts=1, ip="203.0.113.50", at=T0,
          every=timedelta(seconds=20), first=0, **fields) -> list[SignIn]:
    """`attempts` rounds over `accounts` accounts (u00, u01 …) from one address."""
    made = []
    for round_ in range(attempts):
        for a in range(accounts):
            when = at + (round_ * accounts + a) * every
            made += fail(tenant, user=f"u{first + a:02}", at=when, ip=ip, **fields)
    return made


def events(kind: EventKind) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("window_start", "id"))


def ids(signins) -> list[str]:
    return [s.graph_id for s in signins]


# Brute force ----------------------------------------------------------------------------------


def test_nine_failures_in_ten_minutes_are_nothing(tenant):
    fail(tenant, 9)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_ten_failures_in_ten_minutes_are_a_brute_force(tenant):
    made = fail(tenant, 10)
    summary = runner.run(tenant)
    assert summary.recorded == 1
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.severity == Severity.WARNING and event.users == ["kim@contoso.com"]
    assert event.username == "kim@contoso.com" and event.ip_address is None
    assert event.evidence == ids(made) and event.details["sign_ins"] == 10
    assert (event.window_start, event.window_end) == (T0, T0 + 9 * MINUTE)
    assert event.dedup_key == f"brute_force:{tenant.pk}:{made[0].graph_id}"
    assert event.details["threshold"] == 10 and event.details["window_minutes"] == 10
    assert "followed_by_success" not in event.details


@pytest.mark.parametrize("span", [timedelta(minutes=10), timedelta(minutes=11)])
def test_ten_failures_over_ten_minutes_or_more_are_nothing(tenant, span):
    # The window is half-open: the tenth failure must come less than 10 minutes after the first.
    fail(tenant, 10, every=span / 9)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_the_thresholds_are_the_tenants(tenant):
    DetectionSettings.objects.create(tenant=tenant, brute_force_failures=5,
                                     brute_force_minutes=30)
    fail(tenant, 5, every=7 * MINUTE)  # 28 minutes
    runner.run(tenant)
    assert len(events(EventKind.BRUTE_FORCE)) == 1


def test_a_burst_read_in_two_runs_is_one_event_with_all_its_failures(tenant):
    first = fail(tenant, 10)
    runner.run(tenant)
    # Its continuation starts after the history the second run reads (10 minutes back).
    second = fail(tenant, 10, at=T0 + 15 * MINUTE)
    summary = runner.run(tenant)
    assert (summary.recorded, summary.updated) == (0, 1)
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.evidence == ids(first + second) and event.details["sign_ins"] == 20
    assert (event.window_start, event.window_end) == (T0, T0 + 24 * MINUTE)


def test_a_burst_split_across_batches_is_one_event(tenant):
    made = fail(tenant, 25)
    summary = runner.run(tenant, batch=4)
    assert summary.recorded == 1
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.evidence == ids(made)


def test_a_quiet_gap_of_the_window_starts_a_new_event(tenant):
    fail(tenant, 10)
    fail(tenant, 10, at=T0 + 19 * MINUTE)  # 10 minutes after the ninth minute's failure
    runner.run(tenant)
    assert [e.window_start for e in events(EventKind.BRUTE_FORCE)] == [T0, T0 + 19 * MINUTE]


def test_a_success_right_after_the_burst_makes_it_an_error(tenant):
    failures = fail(tenant, 10)
    (success,) = fail(tenant, at=T0 + 15 * MINUTE, code=0, ip="192.0.2.99")
    runner.run(tenant)
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.severity == Severity.ERROR and event.details["followed_by_success"] is True
    assert event.evidence == [*ids(failures), success.graph_id]


def test_a_success_a_window_after_the_burst_is_not_its_end(tenant):
    fail(tenant, 10)
    fail(tenant, at=T0 + 19 * MINUTE, code=0)
    runner.run(tenant)
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.severity == Severity.WARNING and "followed_by_success" not in event.details


def test_a_success_synced_in_a_later_run_raises_the_event(tenant):
    fail(tenant, 10)
    runner.run(tenant)
    fail(tenant, at=T0 + 12 * MINUTE, code=0)
    assert runner.run(tenant).updated == 1
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.severity == Severity.ERROR and event.details["followed_by_success"] is True
    assert event.details["sign_ins"] == 11
    # More failures later in the burst neither lower it again nor clear the flag.
    fail(tenant, 10, at=T0 + 14 * MINUTE)
    runner.run(tenant)
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.severity == Severity.ERROR and event.details["followed_by_success"] is True


def test_an_mfa_prompt_after_the_burst_means_the_password_was_accepted(tenant):
    fail(tenant, 10)
    fail(tenant, at=T0 + 10 * MINUTE, code=50074)
    runner.run(tenant)
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.severity == Severity.ERROR and event.details["password_accepted"] is True
    assert "followed_by_success" not in event.details


@pytest.mark.parametrize("code", [53003, 50074, 50076, 50055, 50057, 50034, 50058, 12345])
def test_failures_that_are_not_wrong_passwords_do_not_count(tenant, code):
    fail(tenant, 12, code=code)
    runner.run(tenant)
    assert not events(EventKind.BRUTE_FORCE)


def test_locked_out_and_other_credential_failures_count(tenant):
    for i, code in enumerate([50126, 50126, 50056, 50064, 50126, 50126, 50126, 50126, 50053,
                              50053]):
        fail(tenant, at=T0 + i * MINUTE, code=code)
    runner.run(tenant)
    assert len(events(EventKind.BRUTE_FORCE)) == 1


def test_a_late_failure_completes_a_window(tenant):
    fail(tenant, 9, every=MINUTE)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()
    (late,) = fail(tenant, at=T0 + 4 * MINUTE + timedelta(seconds=30))  # synced an hour late
    runner.run(tenant)
    (event,) = events(EventKind.BRUTE_FORCE)
    assert len(event.evidence) == 10 and late.graph_id in event.evidence


def test_a_late_failure_at_the_start_of_a_burst_extends_its_event(tenant):
    fail(tenant, 10)
    runner.run(tenant)
    fail(tenant, at=T0 - 3 * MINUTE)  # in no window of ten: not part of it
    fail(tenant, at=T0 - timedelta(seconds=30))
    runner.run(tenant)
    (event,) = events(EventKind.BRUTE_FORCE)
    assert event.window_start == T0 - timedelta(seconds=30) and event.details["sign_ins"] == 11


def test_accounts_are_apart_and_named_by_id_without_a_upn(tenant):
    fail(tenant, 5, user="kim")
    fail(tenant, 5, user="lee")
    fail(tenant, 10, user="ann", user_principal_name="", user_graph_id="ID-ANN")
    fail(tenant, 10, user="", user_principal_name="", user_graph_id="")  # nobody: skipped
    runner.run(tenant)
    assert [e.users for e in events(EventKind.BRUTE_FORCE)] == [["id-ann"]]


def test_reading_the_same_sign_ins_again_adds_nothing(tenant):
    fail(tenant, 12)
    spray(tenant, 10, at=T0 + 2 * MINUTE)
    runner.run(tenant)
    before = list(SecurityEvent.objects.order_by("id").values("dedup_key", "evidence",
                                                                 "details", "severity"))
    assert len(before) == 2
    DetectionCursor.objects.filter(name=f"signins:{tenant.pk}").update(last_id=0)
    assert runner.run(tenant, batch=5).recorded == 0
    assert list(SecurityEvent.objects.order_by("id").values(
        "dedup_key", "evidence", "details", "severity")) == before


# Password spray -------------------------------------------------------------------------------


def test_ten_accounts_once_each_from_one_address_are_a_spray(tenant):
    made = spray(tenant, 10)
    runner.run(tenant)
    (event,) = events(EventKind.PASSWORD_SPRAY)
    assert event.ip_address == "203.0.113.50" and event.severity == Severity.ERROR
    assert event.users == [f"u{a:02}@contoso.com" for a in range(10)]
    assert event.evidence == ids(made) and event.username == ""
    assert event.details["source"] == "203.0.113.50" and event.details["window_minutes"] == 60
    assert not events(EventKind.BRUTE_FORCE) and not events(EventKind.DISTRIBUTED_SPRAY)


def test_nine_accounts_are_nothing(tenant):
    spray(tenant, 9, attempts=3)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_ten_accounts_tried_four_times_each_are_not_a_spray(tenant):
    # Many tries per account is guessing one account's password, not spraying: and four
    # failures an account is below the brute-force threshold as well.
    spray(tenant, 10, attempts=4)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_three_tries_an_account_are_still_a_spray(tenant):
    spray(tenant, 10, attempts=3)
    runner.run(tenant)
    assert len(events(EventKind.PASSWORD_SPRAY)) == 1


def test_accounts_spread_over_more_than_the_window_are_nothing(tenant):
    spray(tenant, 10, every=7 * MINUTE)  # 63 minutes
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_a_spray_over_two_runs_is_one_event(tenant):
    spray(tenant, 10)
    runner.run(tenant)
    spray(tenant, 5, at=T0 + 30 * MINUTE, first=10)
    runner.run(tenant)
    (event,) = events(EventKind.PASSWORD_SPRAY)
    assert len(event.users) == 15 and event.details["sign_ins"] == 15


def test_a_late_failure_completes_a_spray(tenant):
    spray(tenant, 9)
    runner.run(tenant)
    (late,) = fail(tenant, user="u09", at=T0 + MINUTE, ip="203.0.113.50")
    runner.run(tenant)
    (event,) = events(EventKind.PASSWORD_SPRAY)
    assert len(event.users) == 10 and late.graph_id in event.evidence


def test_mistypes_behind_an_office_address_are_not_a_spray(tenant):
    # Ten colleagues behind one NAT address each mistype once and sign in a minute later.
    spray(tenant, 10, ip="192.0.2.10", every=4 * MINUTE)
    spray(tenant, 10, ip="192.0.2.10", every=4 * MINUTE, at=T0 + MINUTE, code=0)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_a_spray_that_guessed_a_few_passwords_names_them(tenant):
    spray(tenant, 12)
    fail(tenant, user="u03", at=T0 + 10 * MINUTE, ip="203.0.113.50", code=0)
    runner.run(tenant)
    (event,) = events(EventKind.PASSWORD_SPRAY)
    assert event.details["accounts_with_success"] == ["u03@contoso.com"]


def test_unknown_accounts_count_for_a_spray(tenant):
    spray(tenant, 5)
    spray(tenant, 5, first=5, code=50034, at=T0 + 5 * MINUTE)
    runner.run(tenant)
    assert len(events(EventKind.PASSWORD_SPRAY)[0].users) == 10


def test_neighbouring_addresses_in_a_24_are_one_source(tenant):
    for i in range(5):
        spray(tenant, 2, ip=f"203.0.113.{10 + i}", first=2 * i, at=T0 + i * MINUTE)
    runner.run(tenant)
    (event,) = events(EventKind.PASSWORD_SPRAY)
    assert event.ip_address is None and event.details["network"] == "203.0.113.0/24"
    assert event.details["addresses"] == 5 and len(event.users) == 10
    assert not events(EventKind.DISTRIBUTED_SPRAY)


def test_an_address_that_sprays_alone_is_reported_by_itself(tenant):
    spray(tenant, 10, ip="203.0.113.10")
    spray(tenant, 3, ip="203.0.113.11", first=10)  # a neighbour, below the threshold
    runner.run(tenant)
    assert [e.ip_address for e in events(EventKind.PASSWORD_SPRAY)] == ["203.0.113.10"]


def test_ipv6_sprays_by_address_and_by_64(tenant):
    spray(tenant, 10, ip="2001:DB8::1")
    for i in range(10):  # one host rotating through its /64
        fail(tenant, user=f"v{i}", at=T0 + 2 * MINUTE + i * MINUTE, ip=f"2001:db8:1:2::{i + 1:x}")
    runner.run(tenant)
    by_address, by_network = events(EventKind.PASSWORD_SPRAY)
    assert by_address.ip_address == "2001:db8::1"
    assert by_network.ip_address is None
    assert by_network.details["network"] == "2001:db8:1:2::/64" and len(by_network.users) == 10


def test_sign_ins_without_an_address_are_no_spray(tenant):
    spray(tenant, 12, ip=None)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


# Distributed spray ----------------------------------------------------------------------------


def _botnet(tenant, addresses=6, accounts=2, *, at=T0, every=4 * MINUTE, apps=None):
    """`addresses` addresses in different networks, each trying its own `accounts` accounts."""
    made = []
    for i in range(addresses):
        for a in range(accounts):
            n = i * accounts + a
            made += fail(tenant, user=f"u{n:02}", at=at + n * every, ip=f"100.{64 + i}.7.9",
                         app_display_name=apps[n] if apps else APP)
    return made


def test_six_addresses_two_accounts_each_are_a_distributed_spray(tenant):
    made = _botnet(tenant)  # 12 failures over 44 minutes
    runner.run(tenant)
    (event,) = events(EventKind.DISTRIBUTED_SPRAY)
    assert event.severity == Severity.ERROR and event.ip_address is None
    assert event.users == [f"u{n:02}@contoso.com" for n in range(12)]
    assert event.evidence == ids(made)
    details = event.details
    assert (details["error_code"], details["app"], details["client_app"]) == (50126, APP, CLIENT)
    assert details["addresses"] == 6
    assert not events(EventKind.PASSWORD_SPRAY) and not events(EventKind.BRUTE_FORCE)


def test_four_addresses_are_too_few(tenant):
    _botnet(tenant, addresses=4, accounts=3)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_a_botnet_over_more_than_the_window_is_nothing(tenant):
    _botnet(tenant, every=7 * MINUTE)  # 77 minutes: at most nine accounts in any hour
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_failures_of_different_apps_are_no_distributed_spray(tenant):
    _botnet(tenant, apps=[f"App {n}" for n in range(12)])
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_the_same_accounts_from_every_address_are_no_distributed_spray(tenant):
    # Six addresses each trying 8 of 12 accounts: two or more addresses per account.
    for i in range(6):
        for a in range(8):
            fail(tenant, user=f"u{(i * 2 + a) % 12:02}", at=T0 + (i * 8 + a) * MINUTE,
                 ip=f"100.{64 + i}.7.9")
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_a_distributed_spray_over_two_runs_and_a_late_arrival(tenant):
    _botnet(tenant, addresses=4)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()
    fail(tenant, user="u20", at=T0 + 2 * MINUTE, ip="100.90.7.9")  # late, with an old time
    fail(tenant, user="u21", at=T0 + 40 * MINUTE, ip="100.90.7.9")
    fail(tenant, user="u22", at=T0 + 41 * MINUTE, ip="100.91.7.9")
    runner.run(tenant)
    (event,) = events(EventKind.DISTRIBUTED_SPRAY)
    assert len(event.users) == 11 and event.details["addresses"] == 6


def test_ordinary_mistypes_across_a_day_are_nothing(tenant):
    # Forty people mistype once a day each, from their own addresses, the same app: at most
    # two in any hour, and each signs in a minute later.
    for n in range(40):
        at = T0 + n * 36 * MINUTE
        fail(tenant, user=f"p{n:02}", at=at, ip=f"100.{64 + n}.1.{n + 1}")
        fail(tenant, user=f"p{n:02}", at=at + MINUTE, ip=f"100.{64 + n}.1.{n + 1}", code=0)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()


def test_a_busy_hour_of_answered_mistypes_is_nothing(tenant):
    # Twelve people mistype within the hour from their own addresses, then get it right.
    for n in range(12):
        at = T0 + n * 4 * MINUTE
        fail(tenant, user=f"p{n:02}", at=at, ip=f"100.{64 + n}.1.1")
        fail(tenant, user=f"p{n:02}", at=at + 2 * MINUTE, ip=f"100.{64 + n}.1.1", code=0)
    runner.run(tenant)
    assert not SecurityEvent.objects.exists()
