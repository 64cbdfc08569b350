"""Which usage periods are due for rating as of a day: hand-worked calendars."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tarif.billing.usage_periods import usage_due
from tarif.catalog.rules import ProductKind
from tests.billing.builders import ANNIV, ARREARS, contract, line, terms, with_lines

USAGE = line(None, "monthly", ARREARS, key="turnover", kind=ProductKind.USAGE)
FIXED = line("399.00")


def periods(versions, as_of, rated=()):  # type: ignore[no-untyped-def]
    return [
        (d.line_key, d.version, d.period.start, d.period.end, d.due_on)
        for d in usage_due(versions, as_of, rated=rated)
    ]


def test_a_month_is_due_on_its_end_and_the_partial_first_one_too() -> None:
    versions = contract(terms(date(2026, 1, 15), FIXED, USAGE))
    # [15 Jan, 1 Feb) is due on 1 Feb; nothing of February yet; fixed lines are not here
    assert periods(versions, date(2026, 1, 31)) == []
    assert periods(versions, date(2026, 2, 1)) == [
        ("turnover", 1, date(2026, 1, 15), date(2026, 2, 1), date(2026, 2, 1))
    ]
    # as of 1 Mar: January's part and February
    assert periods(versions, date(2026, 3, 1)) == [
        ("turnover", 1, date(2026, 1, 15), date(2026, 2, 1), date(2026, 2, 1)),
        ("turnover", 1, date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 1)),
    ]


def test_rated_periods_are_not_due_again() -> None:
    versions = contract(terms(date(2026, 1, 1), USAGE))
    rated = [("turnover", date(2026, 1, 1), date(2026, 2, 1))]
    assert periods(versions, date(2026, 3, 1), rated) == [
        ("turnover", 1, date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 1))
    ]


def test_anniversary_months_from_the_start_day() -> None:
    versions = contract(terms(date(2026, 1, 31), USAGE, alignment=ANNIV))
    # 31 Jan → 28 Feb → 31 Mar (months added to the anchor, not chained)
    assert periods(versions, date(2026, 3, 31)) == [
        ("turnover", 1, date(2026, 1, 31), date(2026, 2, 28), date(2026, 2, 28)),
        ("turnover", 1, date(2026, 2, 28), date(2026, 3, 31), date(2026, 3, 31)),
    ]


def test_a_contract_ending_mid_month_bills_its_last_days_on_its_end() -> None:
    original = terms(date(2026, 1, 1), USAGE)
    ended = with_lines(original, USAGE, end=date(2026, 2, 10))
    versions = contract(original, (date(2026, 2, 10), ended))
    # [1 Feb, 10 Feb) is due on 10 Feb, the contract's (exclusive) end, not on 1 Mar
    assert periods(versions, date(2026, 2, 10)) == [
        ("turnover", 1, date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 1)),
        ("turnover", 1, date(2026, 2, 1), date(2026, 2, 10), date(2026, 2, 10)),
    ]
    assert periods(versions, date(2027, 1, 1))[-1][3] == date(2026, 2, 10)


def test_a_change_of_what_prices_the_line_cuts_the_period_and_both_parts_are_due_at_its_end() -> (
    None
):
    original = terms(date(2026, 1, 1), USAGE)
    repriced = with_lines(original, replace(USAGE, product_id="prd_turnover_premium"))
    versions = contract(original, (date(2026, 1, 20), repriced))
    # [1 Jan, 20 Jan) with version 1, [20 Jan, 1 Feb) with version 2, both due on 1 Feb
    assert periods(versions, date(2026, 2, 1)) == [
        ("turnover", 1, date(2026, 1, 1), date(2026, 1, 20), date(2026, 2, 1)),
        ("turnover", 2, date(2026, 1, 20), date(2026, 2, 1), date(2026, 2, 1)),
    ]


def test_a_version_that_keeps_the_pricing_keeps_the_period_whole() -> None:
    original = terms(date(2026, 1, 1), FIXED, USAGE)
    more_hosting = with_lines(original, replace(FIXED, quantity=FIXED.quantity * 2), USAGE)
    versions = contract(original, (date(2026, 1, 20), more_hosting))
    assert periods(versions, date(2026, 2, 1)) == [
        ("turnover", 1, date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 1))
    ]


def test_quarterly_usage_and_versions_after_the_day_are_unknown() -> None:
    quarterly = replace(USAGE, periodicity=line(None, "quarterly").periodicity)
    original = terms(date(2026, 1, 1), quarterly)
    later = with_lines(original, replace(quarterly, product_id="prd_other"))
    versions = contract(original, (date(2026, 5, 1), later))
    # as of 1 Apr the first quarter is due; the May version is not known yet
    assert periods(versions, date(2026, 4, 1)) == [
        ("turnover", 1, date(2026, 1, 1), date(2026, 4, 1), date(2026, 4, 1))
    ]
