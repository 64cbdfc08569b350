"""`SqlEventStore`: every aggregation over events inserted by hand, with the arithmetic beside
each expected quantity. Runs on SQLite and on PostgreSQL (TARIF_TEST_DB)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tarif.usage.aggregates import AggregateRow, EventSelection, LateMode, UsagePeriod
from tarif.usage.metric_rules import Aggregation, FilterOp, MetricDefinition, PropertyFilter
from tarif.usage.store import SqlEventStore
from tests.conftest import Tenant
from tests.usage.factories import add_event, at

JANUARY = UsagePeriod(date(2026, 1, 1), date(2026, 2, 1))
FEBRUARY = UsagePeriod(date(2026, 2, 1), date(2026, 3, 1))


def metric(aggregation: Aggregation, field: str | None = None, **extra: object) -> MetricDefinition:
    return MetricDefinition(code="m", aggregation=aggregation, field=field, **extra)  # type: ignore[arg-type]


@pytest.fixture
def store(session: Session) -> SqlEventStore:
    return SqlEventStore(session)


@pytest.fixture
def org(tenant: Tenant) -> str:
    return tenant.id


def one(rows: list[AggregateRow]) -> AggregateRow:
    assert len(rows) == 1, rows
    return rows[0]


def quantities(rows: list[AggregateRow]) -> list[tuple[dict[str, str | None], Decimal]]:
    return [(dict(r.groups), r.quantity) for r in rows]


# --- the six aggregations -------------------------------------------------------------------------


def test_count_counts_the_customers_events_of_the_period(session, store, org) -> None:
    for day in ("2026-01-01 00:00", "2026-01-15 10:00", "2026-01-31 23:59"):
        add_event(session, org, "m", "cus_a", day)
    add_event(session, org, "m", "cus_a", "2026-02-01 00:00")  # next period
    add_event(session, org, "m", "cus_b", "2026-01-10 00:00")  # another customer
    add_event(session, org, "other", "cus_a", "2026-01-10 00:00")  # another metric
    row = one(store.aggregate(org, metric(Aggregation.COUNT), JANUARY, customer_id="cus_a"))
    assert row.quantity == Decimal(3)
    assert row.event_count == 3
    assert row.first_event_at == at("2026-01-01 00:00")
    assert row.last_event_at == at("2026-01-31 23:59")


def test_sum_is_exact_to_the_millionth(session, store, org) -> None:
    for value in ("10.5", "20.25", "0.000001"):
        add_event(session, org, "m", "cus_a", "2026-01-05 08:00", value)
    row = one(store.aggregate(org, metric(Aggregation.SUM, "amount"), JANUARY, customer_id="cus_a"))
    # 10.5 + 20.25 + 0.000001 = 30.750001 (a float would not be exact)
    assert row.quantity == Decimal("30.750001")
    assert str(row.quantity) == "30.750001"


def test_max_is_the_greatest_value(session, store, org) -> None:
    for value in ("5", "12.5", "7", "-3"):
        add_event(session, org, "m", "cus_a", "2026-01-05 08:00", value)
    row = one(store.aggregate(org, metric(Aggregation.MAX, "gb"), JANUARY, customer_id="cus_a"))
    assert row.quantity == Decimal("12.5")
    assert row.event_count == 4


def test_unique_count_counts_distinct_keys(session, store, org) -> None:
    for key in ("u1", "u2", "u1", "u3", "u2"):
        add_event(session, org, "m", "cus_a", "2026-01-05 08:00", unique_key=key)
    row = one(
        store.aggregate(org, metric(Aggregation.UNIQUE_COUNT, "user"), JANUARY, customer_id="cus_a")
    )
    assert row.quantity == Decimal(3)  # u1, u2, u3
    assert row.event_count == 5


def test_latest_is_the_value_of_the_last_event_ties_broken_by_id(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-20 10:00", "7")
    add_event(session, org, "m", "cus_a", "2026-01-20 10:00", "9")  # same instant, larger id
    add_event(session, org, "m", "cus_a", "2026-01-05 10:00", "100")  # inserted last, older
    row = one(
        store.aggregate(org, metric(Aggregation.LATEST, "seats"), JANUARY, customer_id="cus_a")
    )
    assert row.quantity == Decimal(9)


def _storage_history(session: Session, org: str) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-01 00:00", "100")
    add_event(session, org, "m", "cus_a", "2026-01-11 00:00", "50")
    add_event(session, org, "m", "cus_a", "2026-01-21 00:00", "-30")
    add_event(session, org, "m", "cus_a", "2026-02-15 00:00", "10")


def test_weighted_sum_is_the_average_level_over_the_period(session, store, org) -> None:
    _storage_history(session, org)
    row = one(
        store.aggregate(org, metric(Aggregation.WEIGHTED_SUM, "gb"), JANUARY, customer_id="cus_a")
    )
    # Levels: 100 GB for 10 days, 150 for 10 days, 120 for 11 days.
    # (100×10 + 150×10 + 120×11) / 31 = 3820 / 31 = 123.2258064… → 123.225806
    assert row.quantity == Decimal("123.225806")
    assert row.event_count == 3


def test_weighted_sum_not_recurring_starts_each_period_at_zero(session, store, org) -> None:
    _storage_history(session, org)
    row = one(
        store.aggregate(org, metric(Aggregation.WEIGHTED_SUM, "gb"), FEBRUARY, customer_id="cus_a")
    )
    # 0 GB until 15 Feb, then 10 GB for 14 of February's 28 days: 10 × 14 / 28 = 5
    assert row.quantity == Decimal(5)


def test_weighted_sum_recurring_carries_the_level_over(session, store, org) -> None:
    _storage_history(session, org)
    definition = metric(Aggregation.WEIGHTED_SUM, "gb", recurring=True)
    row = one(store.aggregate(org, definition, FEBRUARY, customer_id="cus_a"))
    # January left 120 GB; +10 on 15 Feb: (120 × 14 + 130 × 14) / 28 = 3500 / 28 = 125
    assert row.quantity == Decimal(125)
    assert row.event_count == 1  # the period's own events only
    assert row.first_event_at == row.last_event_at == at("2026-02-15 00:00")
    march = UsagePeriod(date(2026, 3, 1), date(2026, 4, 1))
    row = one(store.aggregate(org, definition, march, customer_id="cus_a"))
    assert (row.quantity, row.event_count) == (Decimal(130), 0)  # no event: the level held


def test_weighted_sum_weighs_to_the_second(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-31 12:00", "24")
    row = one(
        store.aggregate(org, metric(Aggregation.WEIGHTED_SUM, "gb"), JANUARY, customer_id="cus_a")
    )
    # 24 GB for the last 12 hours: 24 × 0.5 day / 31 days = 0.3870967… → 0.387097
    assert row.quantity == Decimal("0.387097")


def test_weighted_sum_uses_the_local_midnights_of_the_period(session, store, org) -> None:
    # Paris is UTC+1 in January: the period starts on 31 Dec 2025 23:00 UTC.
    paris = UsagePeriod(date(2026, 1, 1), date(2026, 2, 1), "Europe/Paris")
    add_event(session, org, "m", "cus_a", "2025-12-31 23:00", "31", local_date=date(2026, 1, 1))
    add_event(session, org, "m", "cus_a", "2026-01-31 22:00", "-31", local_date=date(2026, 1, 31))
    row = one(
        store.aggregate(org, metric(Aggregation.WEIGHTED_SUM, "gb"), paris, customer_id="cus_a")
    )
    # 31 GB from the first local midnight to 31 Jan 23:00 local, one hour before the end:
    # 31 × (31 × 24 - 1) h / (31 × 24 h) = 31 × 743 / 744 = 30.9583333… → 30.958333
    assert row.quantity == Decimal("30.958333")


def test_weighted_sum_of_part_of_a_period_counts_for_its_share(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-01 00:00", "100")
    definition = metric(Aggregation.WEIGHTED_SUM, "gb", recurring=True)
    part = UsagePeriod(
        date(2026, 1, 15), date(2026, 2, 1), whole=(date(2026, 1, 1), date(2026, 2, 1))
    )
    row = one(store.aggregate(org, definition, part, customer_id="cus_a"))
    # 100 GB held 17 of January's 31 days: 100 × 17 / 31 = 54.8387096… → 54.838710
    assert row.quantity == Decimal("54.83871")
    alone = UsagePeriod(date(2026, 1, 15), date(2026, 2, 1))
    # the same days as a period of their own: an average of 100 over them
    assert one(store.aggregate(org, definition, alone, customer_id="cus_a")).quantity == 100
    with pytest.raises(ValueError, match="not inside"):
        UsagePeriod(date(2026, 1, 15), date(2026, 2, 2), whole=(date(2026, 1, 1), date(2026, 2, 1)))


def test_recurring_sum_carries_seats_over(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2025-11-03 09:00", "3")
    add_event(session, org, "m", "cus_a", "2025-12-20 09:00", "2")
    add_event(session, org, "m", "cus_a", "2026-01-10 09:00", "-1")
    recurring = metric(Aggregation.SUM, "seats", recurring=True)
    row = one(store.aggregate(org, recurring, JANUARY, customer_id="cus_a"))
    assert row.quantity == Decimal(4)  # 3 + 2 carried, - 1 in January
    assert row.event_count == 1
    reset = one(
        store.aggregate(org, metric(Aggregation.SUM, "seats"), JANUARY, customer_id="cus_a")
    )
    assert reset.quantity == Decimal(-1)  # January's own events only


def test_recurring_latest_keeps_the_last_reading_of_earlier_periods(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2025-12-20 09:00", "42")
    recurring = metric(Aggregation.LATEST, "meter", recurring=True)
    row = one(store.aggregate(org, recurring, JANUARY, customer_id="cus_a"))
    assert (row.quantity, row.event_count, row.first_event_at) == (Decimal(42), 0, None)
    row = one(
        store.aggregate(org, metric(Aggregation.LATEST, "meter"), JANUARY, customer_id="cus_a")
    )
    assert (row.quantity, row.event_count) == (Decimal(0), 0)


# --- filters and groups ---------------------------------------------------------------------------


@pytest.fixture
def filtered_events(session: Session, org: str) -> None:
    for props in (
        {"region": "eu", "amount": 150},  # e1
        {"region": "us", "amount": "99.50"},  # e2
        {"region": "eu", "amount": "abc"},  # e3
        {"amount": 100},  # e4: no region
        {"region": "asia", "amount": 100.25},  # e5
    ):
        add_event(session, org, "m", "cus_a", "2026-01-05 08:00", properties=props)


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([("region", FilterOp.EQ, "eu")], 2),  # e1, e3
        ([("region", FilterOp.IN, ("eu", "us"))], 3),  # e1, e2, e3
        ([("region", FilterOp.NOT_IN, ("eu",))], 3),  # e2, e4 (no region), e5
        ([("amount", FilterOp.GT, Decimal(100))], 2),  # 150, 100.25 (e3 is no number)
        ([("amount", FilterOp.GTE, Decimal(100))], 3),  # 150, 100, 100.25
        ([("amount", FilterOp.LT, Decimal(100))], 1),  # "99.50"
        ([("amount", FilterOp.LTE, Decimal("99.5"))], 1),  # "99.50"
        ([("amount", FilterOp.EQ, "100")], 1),  # e4: the number 100 read as text
        ([("region", FilterOp.EQ, "eu"), ("amount", FilterOp.GTE, Decimal(100))], 1),  # e1
    ],
)
def test_filters(store, org, filtered_events, rules, expected) -> None:
    filters = tuple(PropertyFilter(p, op, v) for p, op, v in rules)
    definition = metric(Aggregation.COUNT, filters=filters)
    row = one(store.aggregate(org, definition, JANUARY, customer_id="cus_a"))
    assert row.quantity == Decimal(expected)


def test_group_by_splits_the_quantity(session, store, org) -> None:
    for region, project, value in (
        ("eu", "p1", "10"),
        ("eu", "p1", "5"),
        ("eu", "p2", "1"),
        ("us", "p1", "2"),
        (None, "p1", "4"),
    ):
        props = {"project": project} | ({"region": region} if region else {})
        add_event(session, org, "m", "cus_a", "2026-01-05 08:00", value, properties=props)
    definition = metric(Aggregation.SUM, "gb", group_by=("region", "project"))
    rows = store.aggregate(org, definition, JANUARY, customer_id="cus_a")
    assert quantities(rows) == [
        ({"region": None, "project": "p1"}, Decimal(4)),
        ({"region": "eu", "project": "p1"}, Decimal(15)),  # 10 + 5
        ({"region": "eu", "project": "p2"}, Decimal(1)),
        ({"region": "us", "project": "p1"}, Decimal(2)),
    ]
    assert [r.event_count for r in rows] == [1, 2, 1, 1]


def test_group_values_are_text_whatever_their_json_type(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-05 08:00", properties={"tier": 3})
    add_event(session, org, "m", "cus_a", "2026-01-06 08:00", properties={"tier": "3"})
    rows = store.aggregate(
        org, metric(Aggregation.COUNT, group_by=("tier",)), JANUARY, customer_id="cus_a"
    )
    assert quantities(rows) == [({"tier": "3"}, Decimal(2))]


def test_recurring_weighted_sum_per_group(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-01 00:00", "10", properties={"region": "eu"})
    add_event(session, org, "m", "cus_a", "2026-01-01 00:00", "20", properties={"region": "us"})
    add_event(session, org, "m", "cus_a", "2026-02-08 00:00", "-20", properties={"region": "us"})
    definition = metric(Aggregation.WEIGHTED_SUM, "gb", recurring=True, group_by=("region",))
    rows = store.aggregate(org, definition, FEBRUARY, customer_id="cus_a")
    # eu: 10 GB all month → 10; us: 20 GB for 7 of 28 days, then 0 → 20 × 7 / 28 = 5
    assert quantities(rows) == [({"region": "eu"}, Decimal(10)), ({"region": "us"}, Decimal(5))]
    assert [r.event_count for r in rows] == [0, 1]


def test_a_group_left_at_zero_before_the_period_is_not_shown(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2025-12-01 00:00", "3", properties={"region": "eu"})
    add_event(session, org, "m", "cus_a", "2025-12-10 00:00", "-3", properties={"region": "eu"})
    add_event(session, org, "m", "cus_a", "2026-01-10 00:00", "2", properties={"region": "us"})
    definition = metric(Aggregation.SUM, "seats", recurring=True, group_by=("region",))
    rows = store.aggregate(org, definition, JANUARY, customer_id="cus_a")
    assert quantities(rows) == [({"region": "us"}, Decimal(2))]


# --- periods, empty periods, tenants --------------------------------------------------------------


def test_periods_are_half_open_ranges_of_local_days(session, store, org) -> None:
    # 31 Jan 23:30 UTC is 1 Feb 00:30 in Paris: ingestion stored local day 1 Feb.
    add_event(session, org, "m", "cus_a", "2026-01-31 23:30", local_date=date(2026, 2, 1))
    add_event(session, org, "m", "cus_a", "2025-12-31 23:30", local_date=date(2026, 1, 1))
    count = metric(Aggregation.COUNT)
    paris_jan = UsagePeriod(date(2026, 1, 1), date(2026, 2, 1), "Europe/Paris")
    paris_feb = UsagePeriod(date(2026, 2, 1), date(2026, 3, 1), "Europe/Paris")
    assert one(store.aggregate(org, count, paris_jan, customer_id="cus_a")).quantity == 1
    assert one(store.aggregate(org, count, paris_feb, customer_id="cus_a")).quantity == 1
    one_day = UsagePeriod(date(2026, 1, 31), date(2026, 2, 1))
    assert one(store.aggregate(org, count, one_day, customer_id="cus_a")).quantity == 0


def test_an_empty_period_is_one_zero_row_or_no_group(store, org) -> None:
    for kind, field in (
        (Aggregation.COUNT, None),
        (Aggregation.SUM, "x"),
        (Aggregation.MAX, "x"),
        (Aggregation.UNIQUE_COUNT, "x"),
        (Aggregation.LATEST, "x"),
        (Aggregation.WEIGHTED_SUM, "x"),
    ):
        rows = store.aggregate(org, metric(kind, field), JANUARY, customer_id="cus_a")
        assert rows == [AggregateRow(Decimal(0))], kind
        grouped = metric(kind, field, group_by=("region",))
        assert store.aggregate(org, grouped, JANUARY, customer_id="cus_a") == []


def test_another_organizations_events_are_never_counted(session, store, org, make_tenant) -> None:
    other = make_tenant("Other SAS").id
    add_event(session, org, "m", "cus_a", "2026-01-05 08:00", "1")
    add_event(session, other, "m", "cus_a", "2026-01-05 08:00", "1000")  # same code, same id
    total = metric(Aggregation.SUM, "x")
    assert one(store.aggregate(org, total, JANUARY, customer_id="cus_a")).quantity == 1
    assert one(store.aggregate(org, total, JANUARY)).quantity == 1  # the whole organization
    assert store.aggregate_many(org, total, JANUARY)["cus_a"][0].quantity == 1
    page = store.list_events(org, total, JANUARY)
    assert [e.value for e in page.events] == [Decimal(1)]


def test_contract_scope(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-05 08:00", "2", contract_id="ctr_1")
    add_event(session, org, "m", "cus_a", "2026-01-05 08:00", "3", contract_id="ctr_2")
    total = metric(Aggregation.SUM, "x")
    assert one(store.aggregate(org, total, JANUARY, contract_id="ctr_2")).quantity == 3
    assert one(store.aggregate(org, total, JANUARY, customer_id="cus_a")).quantity == 5


# --- many customers at once -----------------------------------------------------------------------


def test_aggregate_many_answers_every_customer_asked(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-05 08:00", "1.5")
    add_event(session, org, "m", "cus_a", "2026-01-06 08:00", "2")
    add_event(session, org, "m", "cus_b", "2026-01-05 08:00", "4")
    add_event(session, org, "m", "cus_z", "2026-01-05 08:00", "9")  # not asked
    total = metric(Aggregation.SUM, "x")
    found = store.aggregate_many(org, total, JANUARY, ["cus_a", "cus_b", "cus_c"])
    assert {c: [r.quantity for r in rows] for c, rows in found.items()} == {
        "cus_a": [Decimal("3.5")],  # 1.5 + 2
        "cus_b": [Decimal(4)],
        "cus_c": [Decimal(0)],  # no event: zero
    }
    everyone = store.aggregate_many(org, total, JANUARY)
    assert sorted(everyone) == ["cus_a", "cus_b", "cus_z"]


def test_aggregate_many_with_groups_and_windows(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-05 08:00", "5", properties={"r": "eu"})
    add_event(session, org, "m", "cus_a", "2026-01-06 08:00", "6", properties={"r": "eu"})
    add_event(session, org, "m", "cus_b", "2026-01-07 08:00", "7", properties={"r": "eu"})
    latest = metric(Aggregation.LATEST, "x", group_by=("r",))
    found = store.aggregate_many(org, latest, JANUARY, ["cus_a", "cus_b", "cus_c"])
    assert {c: quantities(rows) for c, rows in found.items()} == {
        "cus_a": [({"r": "eu"}, Decimal(6))],  # the later of cus_a's, not cus_b's 7
        "cus_b": [({"r": "eu"}, Decimal(7))],
        "cus_c": [],
    }


def test_aggregate_many_names_the_valuation_versions_of_the_events(session, store, org) -> None:
    for day, version in (("05", "scv_1"), ("06", "scv_2"), ("07", "scv_1"), ("08", None)):
        event = add_event(session, org, "m", "cus_a", f"2026-01-{day} 08:00", "2")
        event.smartcode_version_id = version
    add_event(session, org, "m", "cus_b", "2026-01-05 08:00", "4")
    session.flush()
    for aggregation in (Aggregation.SUM, Aggregation.LATEST, Aggregation.WEIGHTED_SUM):
        definition = metric(aggregation, "x")
        found = store.aggregate_many(org, definition, JANUARY, ["cus_a", "cus_b"])
        assert found["cus_a"][0].valuation_versions == ()  # not asked
        found = store.aggregate_many(
            org, definition, JANUARY, ["cus_a", "cus_b"], valuation_versions=True
        )
        assert [r.valuation_versions for r in found["cus_a"]] == [("scv_1", "scv_2")]
        assert [r.valuation_versions for r in found["cus_b"]] == [()]
    sums = store.aggregate_many(
        org, metric(Aggregation.SUM, "x"), JANUARY, ["cus_a"], valuation_versions=True
    )
    assert sums["cus_a"][0].quantity == 8  # 2 + 2 + 2 + 2: the quantity is the same


# --- late events ----------------------------------------------------------------------------------


def test_late_events_can_be_included_excluded_or_selected(session, store, org) -> None:
    add_event(session, org, "m", "cus_a", "2026-01-05 08:00", "1")
    add_event(
        session,
        org,
        "m",
        "cus_a",
        "2026-01-06 08:00",
        "10",
        late=True,
        received_at=at("2026-02-03 10:00"),
    )
    add_event(
        session,
        org,
        "m",
        "cus_a",
        "2026-01-07 08:00",
        "100",
        late=True,
        received_at=at("2026-02-10 10:00"),
    )
    total = metric(Aggregation.SUM, "x")

    def quantity(selection: EventSelection) -> Decimal:
        rows = store.aggregate(org, total, JANUARY, customer_id="cus_a", selection=selection)
        return one(rows).quantity

    assert quantity(EventSelection()) == 111  # 1 + 10 + 100
    assert quantity(EventSelection(LateMode.EXCLUDE)) == 1
    assert quantity(EventSelection(LateMode.ONLY)) == 110  # 10 + 100
    # Late events not billed yet by an adjustment made on 5 Feb:
    assert quantity(EventSelection(LateMode.ONLY, at("2026-02-05 00:00"))) == 100


# --- the events counted ---------------------------------------------------------------------------


def test_list_events_pages_through_the_counted_events(session, store, org) -> None:
    made = [
        add_event(
            session, org, "m", "cus_a", f"2026-01-{day:02d} 08:00", str(day), properties={"r": "eu"}
        )
        for day in range(1, 6)
    ]
    add_event(session, org, "m", "cus_a", "2026-01-09 08:00", "9", properties={"r": "us"})
    add_event(session, org, "m", "cus_a", "2026-02-01 08:00", "1", properties={"r": "eu"})
    counted = metric(Aggregation.SUM, "x", filters=(PropertyFilter("r", FilterOp.EQ, "eu"),))
    first = store.list_events(org, counted, JANUARY, customer_id="cus_a", limit=3)
    assert [e.id for e in first.events] == [e.id for e in made[:3]]
    assert first.has_more and first.next_cursor == made[2].id
    rest = store.list_events(
        org, counted, JANUARY, customer_id="cus_a", limit=3, starting_after=first.next_cursor
    )
    assert [e.value for e in rest.events] == [Decimal(4), Decimal(5)]
    assert not rest.has_more and rest.next_cursor is None
    assert rest.events[0].properties == {"r": "eu"}
