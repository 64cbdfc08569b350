"""Payment terms: due dates worked out by hand, and the sentence printed about them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.invoicing.terms import (
    MAX_DAYS,
    PaymentTerms,
    end_of_month,
    single_contract,
    terms_for,
)


@pytest.mark.parametrize(
    ("issued", "days", "end_of_month_", "due"),
    [
        # 15 Jan + 30 days = 14 Feb (January has 31 days: 16 left, then 14 in February)
        (date(2026, 1, 15), 30, False, date(2026, 2, 14)),
        # … then the last day of February 2026 (not a leap year)
        (date(2026, 1, 15), 30, True, date(2026, 2, 28)),
        # 31 Jan + 45 days = 17 Mar (28 days of February, then 17), then end of month: 31 Mar
        (date(2026, 1, 31), 45, True, date(2026, 3, 31)),
        (date(2026, 1, 31), 45, False, date(2026, 3, 17)),
        # 2028 is a leap year: 31 Jan + 30 days = 1 Mar → end of month 31 Mar
        (date(2028, 1, 31), 30, True, date(2028, 3, 31)),
        # 15 Jan 2028 + 30 = 14 Feb → 29 Feb 2028
        (date(2028, 1, 15), 30, True, date(2028, 2, 29)),
        # on receipt: due the issue date; "fin de mois" alone: the end of the issue month
        (date(2026, 1, 15), 0, False, date(2026, 1, 15)),
        (date(2026, 1, 15), 0, True, date(2026, 1, 31)),
        # crossing the year: 20 Dec 2026 + 30 = 19 Jan 2027 → 31 Jan 2027
        (date(2026, 12, 20), 30, True, date(2027, 1, 31)),
        # 60 days: 15 Jan + 60 = 16 Mar (16 + 28 + 16)
        (date(2026, 1, 15), 60, False, date(2026, 3, 16)),
    ],
)
def test_due_dates(issued: date, days: int, end_of_month_: bool, due: date) -> None:
    assert PaymentTerms(days, end_of_month_).due_date(issued) == due


def test_the_contract_overrides_the_customers_days() -> None:
    # Customer: 30 days end of month; contract: 10 days → 15 Jan + 10 = 25 Jan → 31 Jan
    assert terms_for(30, True, 10) == PaymentTerms(10, True)
    assert terms_for(30, False, 10).due_date(date(2026, 1, 15)) == date(2026, 1, 25)
    assert terms_for(30, False, None) == PaymentTerms(30, False)
    assert terms_for(30, False, 0) == PaymentTerms(0, False)  # 0 is a value, not "unset"


@pytest.mark.parametrize(
    ("terms", "french", "english"),
    [
        (PaymentTerms(30), "Paiement à 30 jours", "Payment within 30 days"),
        (
            PaymentTerms(30, True),
            "Paiement à 30 jours fin de mois",
            "Payment within 30 days end of month",
        ),
        (PaymentTerms(1), "Paiement à 1 jour", "Payment within 1 day"),
        (PaymentTerms(0), "Paiement à réception", "Payment on receipt"),
        (PaymentTerms(0, True), "Paiement fin de mois", "Payment at the end of the month"),
    ],
)
def test_printed_terms(terms: PaymentTerms, french: str, english: str) -> None:
    assert terms.text("fr") == french
    assert terms.text("en") == english


@pytest.mark.parametrize("days", [-1, MAX_DAYS + 1])
def test_days_out_of_range_are_refused(days: int) -> None:
    with pytest.raises(ValueError, match="payment terms"):
        PaymentTerms(days)


def test_the_invoices_one_contract() -> None:
    assert single_contract("ctr_1", ["ctr_2"]) == "ctr_1"
    assert single_contract(None, ["ctr_2", None, "ctr_2"]) == "ctr_2"
    assert single_contract(None, ["ctr_2", "ctr_3"]) is None
    assert single_contract(None, [None]) is None


days_ = st.integers(min_value=0, max_value=MAX_DAYS)
issue_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(issue_days, days_)
def test_plain_terms_add_exactly_the_days(issued: date, days: int) -> None:
    assert (PaymentTerms(days).due_date(issued) - issued).days == days


@given(issue_days, days_)
def test_end_of_month_is_the_last_day_of_the_plain_due_dates_month(issued: date, days: int) -> None:
    plain = PaymentTerms(days).due_date(issued)
    due = PaymentTerms(days, True).due_date(issued)
    assert (due.year, due.month) == (plain.year, plain.month)
    assert due >= plain
    assert (due + timedelta(days=1)).day == 1  # the next day starts a month
    assert due == end_of_month(plain)


@given(issue_days, days_, st.booleans())
def test_never_due_before_issue(issued: date, days: int, eom: bool) -> None:
    assert PaymentTerms(days, eom).due_date(issued) >= issued
