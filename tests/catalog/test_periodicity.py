from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.catalog.periodicity import (
    MAX_COUNT,
    Periodicity,
    PeriodicityError,
    PeriodUnit,
    Timing,
    add_months,
    format_periodicity,
    parse_periodicity,
    parse_timing,
)


@pytest.mark.parametrize(
    ("text", "unit", "count"),
    [
        ("one_off", PeriodUnit.ONE_OFF, 1),
        ("daily", PeriodUnit.DAY, 1),
        ("weekly", PeriodUnit.WEEK, 1),
        ("monthly", PeriodUnit.MONTH, 1),
        ("quarterly", PeriodUnit.MONTH, 3),
        ("semi_annual", PeriodUnit.MONTH, 6),
        ("annual", PeriodUnit.MONTH, 12),  # annual is held as 12 months (domain rules)
        ("biennial", PeriodUnit.MONTH, 24),
        ("every_10_days", PeriodUnit.DAY, 10),
        ("every_2_weeks", PeriodUnit.WEEK, 2),
        ("every_5_months", PeriodUnit.MONTH, 5),
        ("every_3_years", PeriodUnit.MONTH, 36),  # 3 × 12
    ],
)
def test_readable_names_parse_to_a_unit_and_a_count(
    text: str, unit: PeriodUnit, count: int
) -> None:
    assert parse_periodicity(text) == Periodicity(unit, count)
    assert format_periodicity(parse_periodicity(text)) == text


def test_years_are_months_so_equal_periodicities_compare_equal() -> None:
    assert Periodicity(PeriodUnit.YEAR, 1) == Periodicity(PeriodUnit.MONTH, 12)
    assert parse_periodicity("every_1_years") == parse_periodicity("annual")
    assert parse_periodicity("every_12_months") == parse_periodicity("annual")
    assert parse_periodicity("every_2_years") == parse_periodicity("biennial")
    # Non-canonical spellings come back in the canonical one.
    assert format_periodicity(parse_periodicity("every_1_months")) == "monthly"
    assert format_periodicity(parse_periodicity("every_7_days")) == "every_7_days"


def test_case_spaces_and_hyphens_are_forgiven() -> None:
    assert parse_periodicity(" Semi-Annual ") == Periodicity(PeriodUnit.MONTH, 6)
    assert parse_periodicity("every 2 weeks") == Periodicity(PeriodUnit.WEEK, 2)
    assert parse_periodicity("One-off").is_one_off


@pytest.mark.parametrize(
    "text", ["", "fortnightly", "every_-1_weeks", "every_2_fortnights", "every_x"]
)
def test_unknown_or_non_positive_periodicities_are_refused_with_the_accepted_list(
    text: str,
) -> None:
    with pytest.raises(PeriodicityError, match="use one of: one_off, daily"):
        parse_periodicity(text)


def test_a_zero_or_too_large_count_in_a_name_is_refused_naming_it() -> None:
    with pytest.raises(PeriodicityError, match="'every_0_days': the count must be 1 or more"):
        parse_periodicity("every_0_days")
    with pytest.raises(PeriodicityError, match="at most 100 years, not 101"):
        parse_periodicity("every_101_years")


@pytest.mark.parametrize(
    ("unit", "count", "message"),
    [
        (PeriodUnit.DAY, 0, "1 or more, not 0"),
        (PeriodUnit.MONTH, -3, "1 or more, not -3"),
        (PeriodUnit.ONE_OFF, 2, "one-off periodicity has no count"),
        (PeriodUnit.DAY, MAX_COUNT + 1, "at most 1200 days"),
        (PeriodUnit.YEAR, 101, "at most 100 years"),  # 1200 months ÷ 12
    ],
)
def test_bad_counts_are_refused(unit: PeriodUnit, count: int, message: str) -> None:
    with pytest.raises(PeriodicityError, match=message):
        Periodicity(unit, count)


def test_a_count_must_be_a_whole_number() -> None:
    with pytest.raises(PeriodicityError, match="whole number"):
        Periodicity(PeriodUnit.MONTH, True)


def test_months_are_added_from_the_anchor_not_chained() -> None:
    monthly = parse_periodicity("monthly")
    anchor = date(2026, 1, 31)
    # Domain rules: 31 Jan → 28 Feb → 31 Mar → 30 Apr.
    assert [monthly.boundary(anchor, i) for i in range(4)] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert monthly.boundary(date(2028, 1, 31), 1) == date(2028, 2, 29)  # 2028 is a leap year


def test_boundaries_of_days_weeks_quarters_and_years() -> None:
    anchor = date(2026, 1, 15)
    assert parse_periodicity("every_10_days").boundary(anchor, 2) == date(2026, 2, 4)  # +20 days
    assert parse_periodicity("every_2_weeks").boundary(anchor, 1) == date(2026, 1, 29)  # +14
    assert parse_periodicity("quarterly").boundary(anchor, 3) == date(2026, 10, 15)  # +9 months
    assert parse_periodicity("annual").boundary(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert parse_periodicity("monthly").boundary(anchor, -1) == date(2025, 12, 15)


def test_a_one_off_has_no_periods() -> None:
    with pytest.raises(PeriodicityError, match="no periods"):
        Periodicity.one_off().boundary(date(2026, 1, 1), 1)


def test_add_months_clamps_to_the_end_of_shorter_months() -> None:
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_timing_parses_both_values_and_refuses_others() -> None:
    assert parse_timing("in_advance") is Timing.IN_ADVANCE
    assert parse_timing("In arrears") is Timing.IN_ARREARS
    with pytest.raises(PeriodicityError, match="use in_advance or in_arrears"):
        parse_timing("upfront")


repeating = st.builds(
    Periodicity,
    st.sampled_from([PeriodUnit.DAY, PeriodUnit.WEEK, PeriodUnit.MONTH]),
    st.integers(min_value=1, max_value=MAX_COUNT),
) | st.builds(Periodicity, st.just(PeriodUnit.YEAR), st.integers(1, MAX_COUNT // 12))
periodicities = repeating | st.just(Periodicity.one_off())


@given(periodicities)
def test_every_periodicity_round_trips_through_its_name(periodicity: Periodicity) -> None:
    assert parse_periodicity(format_periodicity(periodicity)) == periodicity


@given(periodicities.map(format_periodicity))
def test_every_written_name_is_read_back_unchanged(text: str) -> None:
    assert format_periodicity(parse_periodicity(text)) == text


@given(repeating, st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.integers(0, 24))
def test_boundaries_only_move_forward(periodicity: Periodicity, anchor: date, index: int) -> None:
    assert periodicity.boundary(anchor, index + 1) > periodicity.boundary(anchor, index)
