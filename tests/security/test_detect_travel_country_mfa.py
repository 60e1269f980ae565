"""Impossible travel, new countries, MFA gaps and watched accounts, at and around thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin.choices import Severity, UserType
from m365admin.models import DirectoryUser, SignIn
from security.choices import EventKind
from security.detections import accounts, countries, mfa, runner, travel
from security.detections.base import Context, rows
from security.models import DetectionCursor, DetectionSettings, SecurityEvent
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# (latitude, longitude, city, country)
TOKYO = (35.6895, 139.6917, "Tokyo", "JP")
OSAKA = (34.6937, 135.5023, "Osaka", "JP")
LONDON = (51.5072, -0.1276, "London", "GB")
FRANKFURT = (50.1109, 8.6821, "Frankfurt am Main", "DE")
MOSCOW = (55.7558, 37.6173, "Moscow", "RU")
NOWHERE = (None, None, "", "")  # geoCoordinates {} and no city or country


def signin(tenant, at, place=TOKYO, *, user="kim", **fields) -> SignIn:
    latitude, longitude, city, country = place
    fields.setdefault("is_interactive", True)
    (row,) = make_rows(SignIn, tenant, 1, created=at, user_graph_id=f"id-{user}",
                       user_principal_name=f"{user}@contoso.com", latitude=latitude,
                       longitude=longitude, city=city, country=country, **fields)
    return row


def events(kind: EventKind) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("window_start", "id"))


def context(tenant, since: datetime, until: datetime = T0 + DAY) -> Context:
    """The tenant's sign-ins in [since, until) as one new batch, as the runner would pass it."""
    settings, _ = DetectionSettings.objects.get_or_create(tenant=tenant)
    return Context(tenant, settings, rows(
        SignIn.objects.filter(tenant=tenant).between(since, until).order_by("id")))


@pytest.fixture
def tenant():
    return make_tenant()


def configure(tenant, **fields) -> None:
    DetectionSettings.objects.update_or_create(tenant=tenant, defaults=fields)


# Impossible travel ----------------------------------------------------------------------------


def test_tokyo_to_london_in_an_hour_is_impossible(tenant):
    first, second = signin(tenant, T0, TOKYO), signin(tenant, T0 + HOUR, LONDON)
    runner.run(tenant)
    (event,) = events(EventKind.IMPOSSIBLE_TRAVEL)
    assert event.severity == Severity.ERROR and event.users == ["kim@contoso.com"]
    assert event.evidence == [first.graph_id, second.graph_id]
    assert event.countries == ["GB", "JP"]
    details = event.details
    assert 9500 < details["distance_km"] < 9650 and details["hours"] == 1.0
    assert details["speed_kmh"] == round(details["distance_km"])
    assert details["from"] == {"city": "Tokyo", "country": "JP"}
    assert details["to"] == {"city": "London", "country": "GB"}
    assert "anonymized" not in details


def test_tokyo_to_osaka_in_an_hour_is_below_the_minimum_distance(tenant):
    assert 390 < travel.haversine_km(*TOKYO[:2], *OSAKA[:2]) < 410
    signin(tenant, T0, TOKYO)
    signin(tenant, T0 + HOUR, OSAKA)
    runner.run(tenant)
    assert not events(EventKind.IMPOSSIBLE_TRAVEL)


def test_tokyo_to_london_in_twenty_hours_is_a_flight(tenant):
    signin(tenant, T0, TOKYO)
    signin(tenant, T0 + 20 * HOUR, LONDON)  # about 480 km/h
    runner.run(tenant)
    assert not events(EventKind.IMPOSSIBLE_TRAVEL)


def test_exactly_the_speed_limit_is_possible_and_just_above_is_not(tenant):
    distance = travel.haversine_km(*TOKYO[:2], *LONDON[:2])
    signin(tenant, T0, TOKYO, user="at")
    signin(tenant, T0 + timedelta(hours=distance / 900), LONDON, user="at")
    signin(tenant, T0, TOKYO, user="above")
    signin(tenant, T0 + timedelta(hours=distance / 901), LONDON, user="above")
    runner.run(tenant)
    (event,) = events(EventKind.IMPOSSIBLE_TRAVEL)
    assert event.users == ["above@contoso.com"] and event.details["speed_kmh"] == 901


def test_two_far_places_at_the_same_instant_are_impossible(tenant):
    signin(tenant, T0, TOKYO)
    signin(tenant, T0, LONDON)
    runner.run(tenant)
    (event,) = events(EventKind.IMPOSSIBLE_TRAVEL)
    assert event.details["hours"] == 0 and event.details["speed_kmh"] is None


def test_sign_ins_without_coordinates_are_skipped_not_compared(tenant):
    signin(tenant, T0, TOKYO, user="amy")
    signin(tenant, T0 + HOUR, NOWHERE, user="amy")
    signin(tenant, T0, TOKYO, user="bob")
    signin(tenant, T0 + HOUR, (51.5, None, "London", "GB"), user="bob")
    # Between two located sign-ins, one without coordinates: the located ones are compared.
    first = signin(tenant, T0, TOKYO, user="cat")
    signin(tenant, T0 + 30 * timedelta(minutes=1), NOWHERE, user="cat")
    last = signin(tenant, T0 + HOUR, LONDON, user="cat")
    runner.run(tenant)
    (event,) = events(EventKind.IMPOSSIBLE_TRAVEL)
    assert event.evidence == [first.graph_id, last.graph_id]


def test_failed_sign_ins_do_not_travel(tenant):
    signin(tenant, T0, TOKYO)
    signin(tenant, T0 + HOUR, LONDON, error_code=50126)
    runner.run(tenant)
    assert not events(EventKind.IMPOSSIBLE_TRAVEL)


def test_an_anonymized_address_is_kept_at_info(tenant):
    signin(tenant, T0, TOKYO)
    signin(tenant, T0 + HOUR, LONDON, risk_event_types=["anonymizedIPAddress"])
    runner.run(tenant)
    (event,) = events(EventKind.IMPOSSIBLE_TRAVEL)
    assert event.severity == Severity.INFO and event.details["anonymized"] is True


def test_the_previous_sign_in_comes_from_history(tenant):
    first = signin(tenant, T0, TOKYO)
    runner.run(tenant)
    second = signin(tenant, T0 + HOUR, LONDON)
    assert runner.run(tenant).read == 1
    (event,) = events(EventKind.IMPOSSIBLE_TRAVEL)
    assert event.evidence == [first.graph_id, second.graph_id]


def test_a_late_arrival_is_compared_with_both_neighbours(tenant):
    morning = signin(tenant, T0, TOKYO)
    noon = signin(tenant, T0 + 3 * HOUR, TOKYO)
    runner.run(tenant)
    assert not events(EventKind.IMPOSSIBLE_TRAVEL)
    late = signin(tenant, T0 + 90 * timedelta(minutes=1), LONDON)
    runner.run(tenant)
    found = events(EventKind.IMPOSSIBLE_TRAVEL)
    assert [e.evidence for e in found] == [[morning.graph_id, late.graph_id],
                                           [late.graph_id, noon.graph_id]]


def test_the_same_pair_read_twice_is_one_event(tenant):
    signin(tenant, T0, TOKYO)
    signin(tenant, T0 + HOUR, LONDON)
    runner.run(tenant, batch=1)  # the pair is seen from each side, in two batches
    DetectionCursor.objects.filter(name=f"signins:{tenant.pk}").update(last_id=0)
    assert runner.run(tenant).recorded == 0
    assert len(events(EventKind.IMPOSSIBLE_TRAVEL)) == 1


def test_travel_reads_a_fixed_number_of_queries(tenant, django_assert_num_queries):
    for n in range(30):
        signin(tenant, T0 - HOUR, TOKYO, user=f"u{n}")
        signin(tenant, T0 + n * timedelta(minutes=1), LONDON, user=f"u{n}")
        signin(tenant, T0 + 2 * DAY, OSAKA, user=f"u{n}")
    ctx = context(tenant, T0)
    assert len(ctx.new) == 30  # the London ones; Tokyo and Osaka are history
    with django_assert_num_queries(3):  # the span, the sign-ins before it, those after it
        assert len(travel.detect(ctx)) == 30


# New countries --------------------------------------------------------------------------------


def test_a_new_country_for_a_user_with_history(tenant):
    signin(tenant, T0 - 10 * DAY, TOKYO)
    signin(tenant, T0 - 5 * DAY, LONDON, user="lee")  # the tenant knows GB
    london = signin(tenant, T0, LONDON)
    signin(tenant, T0 + HOUR, LONDON)  # the first one is the new one
    runner.run(tenant)
    (event,) = events(EventKind.NEW_COUNTRY)
    assert event.severity == Severity.INFO and event.users == ["kim@contoso.com"]
    assert event.details["scope"] == countries.Scope.USER and event.countries == ["GB"]
    assert event.evidence == [london.graph_id]


def test_a_users_first_week_has_nothing_to_differ_from(tenant):
    signin(tenant, T0 - 10 * DAY, TOKYO, user="lee")
    signin(tenant, T0 - 10 * DAY, LONDON, user="max")
    signin(tenant, T0 - 10 * DAY, MOSCOW, user="max")
    signin(tenant, T0, LONDON)  # kim's first, from a country the tenant knows
    signin(tenant, T0 + HOUR, TOKYO)  # an hour of history: too little to call JP new
    signin(tenant, T0 + 8 * DAY, MOSCOW)  # a week on, Moscow is new for kim
    runner.run(tenant)
    (event,) = events(EventKind.NEW_COUNTRY)
    assert event.countries == ["RU"] and event.details["scope"] == "user"


def test_a_country_new_for_the_tenant_is_a_warning(tenant):
    signin(tenant, T0 - 10 * DAY, TOKYO)
    signin(tenant, T0 - 10 * DAY, TOKYO, user="lee")
    moscow = signin(tenant, T0, MOSCOW, user="lee")
    signin(tenant, T0 + HOUR, MOSCOW)  # the tenant has seen it now
    runner.run(tenant)
    found = {(e.details["scope"], tuple(e.users)) for e in events(EventKind.NEW_COUNTRY)}
    assert found == {("tenant", ("lee@contoso.com",)), ("user", ("lee@contoso.com",)),
                     ("user", ("kim@contoso.com",))}
    (event,) = [e for e in events(EventKind.NEW_COUNTRY) if e.details["scope"] == "tenant"]
    assert event.severity == Severity.WARNING and event.evidence == [moscow.graph_id]
    assert event.dedup_key == f"new_country:{tenant.pk}:RU"


def test_a_young_tenant_reports_no_country_as_new(tenant):
    signin(tenant, T0 - 6 * DAY, TOKYO)
    signin(tenant, T0, MOSCOW)  # six days of history, for the user and the tenant alike
    runner.run(tenant)
    assert not events(EventKind.NEW_COUNTRY)


def test_a_new_tenants_backfill_does_not_flood(tenant):
    for n in range(20):
        signin(tenant, T0 + n * timedelta(minutes=1), (TOKYO, LONDON, MOSCOW)[n % 3],
               user=f"u{n}")
    runner.run(tenant)
    assert not events(EventKind.NEW_COUNTRY)


@pytest.mark.parametrize(("days", "new"), [
    (90, {("user", "JP"), ("tenant", "JP"), ("user", "GB"), ("tenant", "GB")}),
    (120, {("user", "JP"), ("tenant", "JP")}),
])
def test_history_older_than_the_window_is_forgotten(tenant, days, new):
    configure(tenant, new_country_days=days)
    signin(tenant, T0 - 100 * DAY, LONDON)  # the first: nothing to compare with
    signin(tenant, T0 - 50 * DAY, TOKYO)
    back = signin(tenant, T0, LONDON)
    runner.run(tenant)
    found = {(e.details["scope"], e.details["country"]): e.evidence
             for e in events(EventKind.NEW_COUNTRY)}
    assert set(found) == new
    if ("user", "GB") in new:
        assert found[("user", "GB")] == found[("tenant", "GB")] == [back.graph_id]


def test_failures_do_not_make_a_country_familiar(tenant):
    signin(tenant, T0 - 10 * DAY, TOKYO)
    signin(tenant, T0 - DAY, MOSCOW, error_code=50126)
    signin(tenant, T0, MOSCOW)
    runner.run(tenant)
    assert {e.details["scope"] for e in events(EventKind.NEW_COUNTRY)} == {"user", "tenant"}


def test_sign_ins_without_a_country_are_skipped(tenant):
    signin(tenant, T0 - 10 * DAY, TOKYO)
    signin(tenant, T0, NOWHERE)
    runner.run(tenant)
    assert not events(EventKind.NEW_COUNTRY)


def test_a_new_country_is_reported_once(tenant):
    signin(tenant, T0 - 10 * DAY, TOKYO)
    signin(tenant, T0, MOSCOW)
    runner.run(tenant, batch=1)
    signin(tenant, T0 + DAY, MOSCOW)
    runner.run(tenant)
    DetectionCursor.objects.filter(name=f"signins:{tenant.pk}").update(last_id=0)
    assert runner.run(tenant).recorded == 0
    assert len(events(EventKind.NEW_COUNTRY)) == 2  # the user's and the tenant's


def test_countries_read_a_fixed_number_of_queries(tenant, django_assert_num_queries):
    signin(tenant, T0 - 20 * DAY, LONDON, user="u0")
    for n in range(30):
        signin(tenant, T0 - 10 * DAY, TOKYO, user=f"u{n}")
        signin(tenant, T0 + n * timedelta(minutes=1), (TOKYO, LONDON)[n % 2], user=f"u{n}")
    ctx = context(tenant, T0)
    # The users' history, then the batch: GB is new to 15 of them, not to everyone.
    with django_assert_num_queries(2):
        assert len(countries.detect(ctx)) == 15
    signin(tenant, T0 + HOUR, MOSCOW, user="u0")
    ctx = context(tenant, T0)
    with django_assert_num_queries(4):  # RU is new to all of them: ask about the tenant
        assert len(countries.detect(ctx)) == 15 + 2


# MFA gaps -------------------------------------------------------------------------------------


def member(tenant, user: str, *, licensed=True, user_type=UserType.MEMBER) -> None:
    make_rows(DirectoryUser, tenant, 1, graph_id=f"id-{user}",
              user_principal_name=f"{user}@contoso.com", is_licensed=licensed,
              user_type=user_type)


def single_factor(tenant, user: str, at=T0, **fields) -> SignIn:
    fields.setdefault("authentication_requirement", "singleFactorAuthentication")
    return signin(tenant, at, user=user, **fields)


def test_a_licensed_member_signing_in_with_one_factor_is_a_gap(tenant):
    member(tenant, "kim")
    member(tenant, "guest", user_type=UserType.GUEST)
    member(tenant, "room", licensed=False)
    for user in ("kim", "guest", "room", "stranger"):
        single_factor(tenant, user, app_display_name="Office 365 Exchange Online")
    single_factor(tenant, "kim", T0 + HOUR, app_display_name="Azure Portal")
    single_factor(tenant, "kim", T0 + DAY)  # the next day: a second event
    runner.run(tenant)
    found = events(EventKind.MFA_GAP)
    assert [(e.users, e.details["sign_ins"]) for e in found] == [
        (["kim@contoso.com"], 2), (["kim@contoso.com"], 1)]
    assert found[0].severity == Severity.WARNING
    assert found[0].details["reason"] == mfa.Reason.LICENSED_MEMBER
    assert found[0].details["apps"] == ["Azure Portal", "Office 365 Exchange Online"]


def test_a_privileged_account_with_one_factor_is_an_error(tenant):
    configure(tenant, privileged_accounts="Admin@Contoso.com\n")
    single_factor(tenant, "admin")  # not even in the directory copy
    runner.run(tenant)
    (event,) = events(EventKind.MFA_GAP)
    assert event.severity == Severity.ERROR and event.details["reason"] == "privileged"


def test_only_successful_interactive_single_factor_sign_ins_count(tenant):
    member(tenant, "kim")
    single_factor(tenant, "kim", authentication_requirement="multiFactorAuthentication")
    single_factor(tenant, "kim", is_interactive=False)
    single_factor(tenant, "kim", error_code=50126)
    runner.run(tenant)
    assert not events(EventKind.MFA_GAP)


def test_without_the_beta_requirement_nothing_is_found(tenant, django_assert_num_queries):
    member(tenant, "kim")
    single_factor(tenant, "kim", authentication_requirement="")  # v1.0 sends none
    ctx = context(tenant, T0)
    with django_assert_num_queries(0):
        assert mfa.detect(ctx) == []


# Emergency access and privileged accounts ------------------------------------------------------


def test_every_break_glass_sign_in_is_critical(tenant):
    configure(tenant, break_glass_accounts="bg1@contoso.com\nBG2@contoso.com")
    signin(tenant, T0, user="bg1")
    signin(tenant, T0 + HOUR, user="bg1", error_code=50126)
    signin(tenant, T0, user="bg2")
    signin(tenant, T0, user="kim")
    runner.run(tenant)
    found = events(EventKind.BREAK_GLASS)
    assert len(found) == 3 and {e.severity for e in found} == {Severity.CRITICAL}
    assert sorted(e.details["succeeded"] for e in found) == [False, True, True]


@pytest.mark.parametrize(("text", "hours"), [
    ("07-19", set(range(7, 19))),
    ("7 - 19", set(range(7, 19))),
    ("22-06", {22, 23, 0, 1, 2, 3, 4, 5}),
    ("00-24", set(range(24))),
    ("00-00", set(range(24))),
    ("18-24", set(range(18, 24))),
    ("", set(range(24))),
    ("nine to five", set(range(24))),
    ("07-25", set(range(24))),
])
def test_usual_hours(text, hours):
    assert accounts.usual_hours(text) == hours


def test_a_privileged_sign_in_out_of_hours(tenant):
    configure(tenant, privileged_accounts="admin@contoso.com", privileged_hours="07-19")
    night = T0.replace(hour=3)
    signin(tenant, night, user="admin")
    signin(tenant, night + HOUR, user="admin")  # the same day: the same event
    signin(tenant, T0.replace(hour=8), user="admin")
    signin(tenant, T0.replace(hour=18, minute=59), user="admin")
    signin(tenant, night, user="kim")  # not privileged
    signin(tenant, night, user="admin", error_code=50126)  # failures are not its use
    late = signin(tenant, T0.replace(hour=19), user="admin")  # the end is excluded
    runner.run(tenant)
    (event,) = events(EventKind.PRIVILEGED_ANOMALY)
    assert event.severity == Severity.ERROR and event.users == ["admin@contoso.com"]
    assert event.details == {"reason": "hours", "usual_hours": "07-19", "sign_ins": 3}
    assert late.graph_id in event.evidence


def test_wrapped_hours_allow_the_night(tenant):
    configure(tenant, privileged_accounts="admin@contoso.com", privileged_hours="22-06")
    for hour in (23, 0, 5):
        signin(tenant, T0.replace(hour=hour), user="admin")
    noon = signin(tenant, T0.replace(hour=12), user="admin")
    runner.run(tenant)
    (event,) = events(EventKind.PRIVILEGED_ANOMALY)
    assert event.evidence == [noon.graph_id]


def test_the_default_hours_are_always_usual(tenant):
    configure(tenant, privileged_accounts="admin@contoso.com")
    for hour in (0, 3, 12, 23):
        signin(tenant, T0.replace(hour=hour), user="admin")
    runner.run(tenant)
    assert not events(EventKind.PRIVILEGED_ANOMALY)


def test_a_privileged_sign_in_outside_the_set_countries(tenant):
    configure(tenant, privileged_accounts="admin@contoso.com", privileged_countries="jp, US")
    signin(tenant, T0, TOKYO, user="admin")
    moscow = signin(tenant, T0 + HOUR, MOSCOW, user="admin")
    signin(tenant, T0 + HOUR, NOWHERE, user="admin")  # no country: nothing to judge
    runner.run(tenant)
    (event,) = events(EventKind.PRIVILEGED_ANOMALY)
    assert event.evidence == [moscow.graph_id]
    assert event.details["reason"] == "country" and event.details["usual_countries"] == ["JP", "US"]


def test_without_set_countries_the_accounts_own_history_is_usual(tenant):
    configure(tenant, privileged_accounts="admin@contoso.com\nnew@contoso.com")
    signin(tenant, T0 - 5 * DAY, TOKYO, user="admin")
    signin(tenant, T0, TOKYO, user="admin")
    frankfurt = signin(tenant, T0 + HOUR, FRANKFURT, user="admin")
    signin(tenant, T0, FRANKFURT, user="new")  # no history: not judged on country
    runner.run(tenant)
    (event,) = events(EventKind.PRIVILEGED_ANOMALY)
    assert event.evidence == [frankfurt.graph_id] and event.details["usual_countries"] == ["JP"]


def test_each_reason_is_its_own_event(tenant):
    configure(tenant, privileged_accounts="admin@contoso.com", privileged_countries="JP",
              privileged_hours="07-19")
    signin(tenant, T0.replace(hour=2), MOSCOW, user="admin")
    runner.run(tenant)
    assert sorted(e.details["reason"] for e in events(EventKind.PRIVILEGED_ANOMALY)) == [
        accounts.Reason.COUNTRY, accounts.Reason.HOURS]


def test_accounts_read_a_fixed_number_of_queries(tenant, django_assert_num_queries):
    configure(tenant, privileged_accounts="\n".join(f"u{n}@contoso.com" for n in range(30)),
              break_glass_accounts="u0@contoso.com")
    for n in range(30):
        signin(tenant, T0 - DAY, TOKYO, user=f"u{n}")
        signin(tenant, T0 + n * timedelta(minutes=1), LONDON, user=f"u{n}")
    ctx = context(tenant, T0)
    with django_assert_num_queries(2):  # the accounts' countries before the batch, and in it
        found = accounts.detect(ctx)
    assert {f.kind for f in found} == {EventKind.BREAK_GLASS, EventKind.PRIVILEGED_ANOMALY}
