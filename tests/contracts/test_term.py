"""Term ends, renewals, notice deadlines and termination dates, worked out by hand."""

from __future__ import annotations

from datetime import date
from itertools import islice

import pytest

from tarif.contracts.dates import add_months, exclusive_end, last_day
from tarif.contracts.model import NoticePeriod, RenewalPolicy
from tarif.contracts.term import (
    TerminationMode,
    current_term_end,
    earliest_termination,
    is_early_termination,
    notice_deadline,
    plan_termination,
    renewal_dates,
    renewals_by,
    term_as_of,
    term_ends,
    termination_at_term_end,
)
from tarif.errors import InvalidInput
from tests.contracts.factories import contract

ONE_MONTH = NoticePeriod(months=1)
# 12-month term from 15 Jan 2026, auto-renewing for 12 months, one month of notice.
YEARLY = contract(initial_term_months=12, renewal=RenewalPolicy.auto(12), notice=ONE_MONTH)


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # February 2026 has 28 days
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # 2028 is a leap year
        (date(2026, 1, 31), 2, date(2026, 3, 31)),  # from the anchor, not 28 Feb + 1 month
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 1, 15), 12, date(2027, 1, 15)),
    ],
)
def test_months_are_added_from_the_anchor(anchor: date, months: int, expected: date) -> None:
    assert add_months(anchor, months) == expected


def test_inclusive_last_days_map_to_half_open_ends() -> None:
    # A person types "until 31 Dec 2026"; the contract covers [start, 1 Jan 2027).
    assert exclusive_end(date(2026, 12, 31)) == date(2027, 1, 1)
    assert last_day(date(2027, 1, 1)) == date(2026, 12, 31)


def test_a_twelve_month_term_from_15_january_ends_on_15_january() -> None:
    terms = contract(initial_term_months=12)
    # 15 Jan 2026 + 12 months = 15 Jan 2027 (exclusive: the last day is 14 Jan 2027).
    assert list(term_ends(terms)) == [date(2027, 1, 15)]


def test_monthly_renewals_from_31_january_follow_the_anchor() -> None:
    terms = contract(
        start_date=date(2026, 1, 31), initial_term_months=1, renewal=RenewalPolicy.auto(1)
    )
    # 31 Jan + 1 = 28 Feb, + 2 = 31 Mar, + 3 = 30 Apr (never 28 Mar chained from 28 Feb).
    assert list(islice(term_ends(terms), 3)) == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_renewal_happens_on_the_term_end_day() -> None:
    assert renewals_by(YEARLY, date(2027, 1, 14)) == 0  # last day of the first term
    assert current_term_end(YEARLY, date(2027, 1, 14)) == date(2027, 1, 15)
    assert renewals_by(YEARLY, date(2027, 1, 15)) == 1  # the first renewal, 15 Jan 2027
    assert current_term_end(YEARLY, date(2027, 1, 15)) == date(2028, 1, 15)
    state = term_as_of(YEARLY, date(2028, 6, 1))
    # 15 Jan 2027 and 15 Jan 2028 have passed: two renewals, term 15 Jan 2028 → 15 Jan 2029.
    assert (state.renewals, state.start, state.end) == (2, date(2028, 1, 15), date(2029, 1, 15))


def test_a_billing_run_finds_the_renewals_since_the_previous_run() -> None:
    # Previous run 1 Jan 2027, this run 1 Feb 2028: the renewals of 15 Jan 2027 and 15 Jan 2028.
    assert renewal_dates(YEARLY, date(2027, 1, 1), date(2028, 2, 1)) == [
        date(2027, 1, 15),
        date(2028, 1, 15),
    ]
    # A run on the renewal day itself includes it; the next run does not count it again.
    assert renewal_dates(YEARLY, date(2026, 12, 1), date(2027, 1, 15)) == [date(2027, 1, 15)]
    assert renewal_dates(YEARLY, date(2027, 1, 15), date(2027, 6, 1)) == []
    assert renewal_dates(contract(initial_term_months=12), date(2026, 1, 1), date(2030, 1, 1)) == []


def test_an_evergreen_contract_without_renewal_is_uncommitted_after_its_initial_term() -> None:
    terms = contract(initial_term_months=12)
    assert current_term_end(terms, date(2026, 6, 1)) == date(2027, 1, 15)
    state = term_as_of(terms, date(2027, 3, 1))
    assert (state.renewals, state.start, state.end) == (0, date(2027, 1, 15), None)


def test_a_fixed_end_date_is_the_last_term_end_and_never_renews() -> None:
    terms = contract(end_date=date(2026, 7, 1))
    assert list(term_ends(terms)) == [date(2026, 7, 1)]
    assert renewals_by(terms, date(2026, 12, 1)) == 0
    assert current_term_end(terms, date(2026, 3, 1)) == date(2026, 7, 1)


def test_notice_deadline_is_the_term_end_minus_the_notice() -> None:
    # Term ends 15 Jan 2027, one month of notice: notice by 15 Dec 2026.
    assert notice_deadline(date(2027, 1, 15), ONE_MONTH) == date(2026, 12, 15)
    # 31 Mar − 1 month clamps to 28 Feb 2026.
    assert notice_deadline(date(2026, 3, 31), ONE_MONTH) == date(2026, 2, 28)
    # 1 month and 10 days before 15 Jan 2027: 15 Dec 2026 − 10 days = 5 Dec 2026.
    assert notice_deadline(date(2027, 1, 15), NoticePeriod(1, 10)) == date(2026, 12, 5)


def test_earliest_termination_date_respects_the_deadline_rule() -> None:
    # Notice on 15 Dec 2026: ending 15 Jan 2027 needs notice by 15 Dec 2026 → allowed.
    assert earliest_termination(date(2026, 12, 15), ONE_MONTH) == date(2027, 1, 15)
    # Notice on 31 Mar: ending 30 Apr needs notice by 30 Mar (too late), 1 May by 1 Apr.
    assert earliest_termination(date(2026, 3, 31), ONE_MONTH) == date(2026, 5, 1)
    # 30 days of notice on 1 Mar 2026: 1 Mar + 30 days = 31 Mar.
    assert earliest_termination(date(2026, 3, 1), NoticePeriod(days=30)) == date(2026, 3, 31)
    assert earliest_termination(date(2026, 3, 1), NoticePeriod()) == date(2026, 3, 1)


def test_termination_at_term_end_moves_to_the_next_term_after_the_deadline() -> None:
    assert termination_at_term_end(YEARLY, date(2026, 12, 15)) == date(2027, 1, 15)
    # One day late: the contract renews on 15 Jan 2027 and ends on 15 Jan 2028.
    assert termination_at_term_end(YEARLY, date(2026, 12, 16)) == date(2028, 1, 15)


def test_termination_at_term_end_of_an_uncommitted_evergreen_contract() -> None:
    terms = contract(initial_term_months=12, notice=ONE_MONTH)
    # The 15 Jan 2027 deadline (15 Dec) is missed: 20 Dec + 1 month = 20 Jan 2027.
    assert termination_at_term_end(terms, date(2026, 12, 20)) == date(2027, 1, 20)
    no_term = contract(notice=NoticePeriod(months=2))
    assert termination_at_term_end(no_term, date(2026, 3, 10)) == date(2026, 5, 10)


def test_a_fixed_term_contract_ends_at_its_end_date_whatever_the_notice() -> None:
    terms = contract(end_date=date(2026, 7, 1), notice=NoticePeriod(months=3))
    assert termination_at_term_end(terms, date(2026, 6, 1)) == date(2026, 7, 1)


def test_early_termination_cuts_the_committed_term() -> None:
    assert is_early_termination(YEARLY, date(2026, 9, 1))  # before 15 Jan 2027
    assert not is_early_termination(YEARLY, date(2027, 1, 15))  # exactly at the term end
    assert not is_early_termination(contract(), date(2026, 9, 1))  # nothing committed


def test_plan_on_a_date_respecting_notice() -> None:
    plan = plan_termination(
        YEARLY, mode=TerminationMode.ON_DATE, today=date(2026, 1, 20), requested=date(2026, 3, 1)
    )
    # Notice on 20 Jan allows 20 Feb at the earliest; 1 Mar is fine, inside the first term.
    assert plan.effective == date(2026, 3, 1)
    assert not plan.notice_overridden
    assert plan.early


def test_a_date_inside_the_notice_period_is_refused_unless_forced() -> None:
    with pytest.raises(InvalidInput) as refused:
        plan_termination(
            YEARLY,
            mode=TerminationMode.ON_DATE,
            today=date(2026, 1, 20),
            requested=date(2026, 2, 1),
        )
    assert refused.value.errors[0].field == "termination_date"
    assert "allows ending on 2026-02-20 at the earliest (last day 2026-02-19)" in (
        refused.value.errors[0].message
    )
    forced = plan_termination(
        YEARLY,
        mode=TerminationMode.ON_DATE,
        today=date(2026, 1, 20),
        requested=date(2026, 2, 1),
        forced=True,
    )
    assert (forced.effective, forced.notice_overridden) == (date(2026, 2, 1), True)


def test_immediate_termination_skips_notice_and_says_so() -> None:
    plan = plan_termination(YEARLY, mode=TerminationMode.IMMEDIATELY, today=date(2026, 5, 4))
    assert (plan.effective, plan.notice_overridden, plan.early) == (date(2026, 5, 4), True, True)
    at_end = plan_termination(YEARLY, mode=TerminationMode.AT_TERM_END, today=date(2026, 5, 4))
    assert (at_end.effective, at_end.notice_overridden, at_end.early) == (
        date(2027, 1, 15),
        False,
        False,
    )


def test_termination_dates_must_fall_inside_the_contract() -> None:
    with pytest.raises(InvalidInput, match="not after the contract start"):
        plan_termination(YEARLY, mode=TerminationMode.IMMEDIATELY, today=date(2026, 1, 15))
    fixed = contract(end_date=date(2026, 7, 1))
    with pytest.raises(InvalidInput, match="already ends after 2026-06-30"):
        plan_termination(
            fixed, mode=TerminationMode.ON_DATE, today=date(2026, 5, 1), requested=date(2026, 8, 1)
        )
    with pytest.raises(InvalidInput, match="is required"):
        plan_termination(fixed, mode=TerminationMode.ON_DATE, today=date(2026, 5, 1))
