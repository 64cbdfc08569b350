"""Properties of term, renewal and notice dates on generated contracts (Hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tarif.catalog.periodicity import add_months as catalog_add_months
from tarif.contracts.dates import add_months
from tarif.contracts.model import ContractTerms, NoticePeriod, RenewalPolicy
from tarif.contracts.term import (
    earliest_termination,
    notice_deadline,
    renewals_by,
    term_as_of,
    termination_at_term_end,
)
from tests.contracts.factories import contract

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
notices = st.builds(NoticePeriod, months=st.integers(0, 6), days=st.integers(0, 45))


@st.composite
def committed_contracts(draw: st.DrawFn) -> ContractTerms:
    start = draw(days)
    initial = draw(st.integers(1, 36))
    renewal = draw(st.sampled_from([None, 1, 3, 12]))
    return contract(
        start_date=start,
        initial_term_months=initial,
        renewal=RenewalPolicy(renewal),
        notice=draw(notices),
    )


@given(days, st.integers(-60, 240))
def test_months_agree_with_the_catalog_periodicities(anchor: date, months: int) -> None:
    # One rule for the whole product: contracts and billing periods add months alike.
    assert add_months(anchor, months) == catalog_add_months(anchor, months)


@given(days, notices)
def test_earliest_termination_is_the_first_day_the_notice_allows(
    given_on: date, notice: NoticePeriod
) -> None:
    earliest = earliest_termination(given_on, notice)
    assert notice_deadline(earliest, notice) >= given_on
    assert notice_deadline(earliest - timedelta(days=1), notice) < given_on
    assert earliest >= given_on


@given(committed_contracts(), days, days)
def test_renewals_never_go_back_and_the_term_contains_the_day(
    terms: ContractTerms, first: date, second: date
) -> None:
    earlier, later = sorted([first, second])
    assert renewals_by(terms, earlier) <= renewals_by(terms, later)
    state = term_as_of(terms, later)
    if later >= terms.start_date:
        assert state.start <= later
    if state.end is not None:
        assert later < state.end
    if not terms.renewal.auto_renews:
        assert state.renewals == 0


@given(committed_contracts(), days)
def test_termination_at_term_end_is_reachable_with_the_notice_given(
    terms: ContractTerms, given_on: date
) -> None:
    end = termination_at_term_end(terms, given_on)
    assert end > given_on or (terms.notice.months == 0 and terms.notice.days == 0)
    assert notice_deadline(end, terms.notice) >= given_on
    # …and no earlier term end would still have been reachable.
    state = term_as_of(terms, given_on)
    if state.end is not None and state.end < end:
        assert notice_deadline(state.end, terms.notice) < given_on
