"""What each kind of change does to the terms, effective on a given day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tarif.catalog.periodicity import Timing
from tarif.contracts.changes import (
    AddLine,
    AmendmentRefused,
    Change,
    ChangeDiscount,
    ChangePeriodicity,
    ChangePrice,
    ChangePricelist,
    ChangeQuantity,
    ChangeTerm,
    RemoveLine,
    Terminate,
    apply_changes,
)
from tarif.contracts.model import (
    ContractTerms,
    Discount,
    DiscountKind,
    LinePriceSource,
    NoticePeriod,
    RenewalPolicy,
)
from tests.contracts.factories import (
    ANNUAL,
    api_calls,
    contract,
    hosting,
    licence,
    setup_fee,
)

MAR_1 = date(2026, 3, 1)
BASE = contract(lines=(hosting(), licence(), api_calls()))


def refusal(
    changes: list[Change], effective: date = MAR_1, terms: ContractTerms = BASE
) -> list[tuple[str, str]]:
    with pytest.raises(AmendmentRefused) as refused:
        apply_changes(terms, changes, effective)
    return [(e.field, e.message) for e in refused.value.errors]


def test_a_quantity_change_replaces_the_value_without_splitting_the_line() -> None:
    after = apply_changes(BASE, [ChangeQuantity("hosting", Decimal(3))], MAR_1)
    line = after.line("hosting")
    assert line is not None
    assert (line.quantity, line.start, line.end) == (Decimal(3), None, None)
    assert BASE.line("hosting") == hosting()  # the original terms are untouched


def test_removing_a_line_ends_it_on_the_effective_date() -> None:
    after = apply_changes(BASE, [RemoveLine("licence")], MAR_1)
    assert after.line("licence") == licence(end=MAR_1)  # last day 28 Feb 2026


def test_removing_a_line_that_has_not_started_drops_it() -> None:
    terms = contract(lines=(hosting(), setup_fee(start=date(2026, 4, 1))))
    after = apply_changes(terms, [RemoveLine("setup")], MAR_1)
    assert after.line("setup") is None


def test_an_added_line_starts_on_the_effective_date_unless_later() -> None:
    after = apply_changes(BASE, [AddLine(setup_fee())], MAR_1)
    assert after.line("setup") == setup_fee(start=MAR_1)
    later = apply_changes(BASE, [AddLine(setup_fee(start=date(2026, 4, 1)))], MAR_1)
    assert later.lines[-1].start == date(2026, 4, 1)
    assert refusal([AddLine(setup_fee(start=date(2026, 2, 1)))]) == [
        ("changes.0.line.start", "an added line starts on or after the amendment's date 2026-03-01")
    ]
    assert refusal([AddLine(hosting())]) == [
        ("changes.0.line.line_key", "'hosting' is already a line of this contract")
    ]


def test_price_changes_are_flagged_with_their_source() -> None:
    after = apply_changes(BASE, [ChangePrice("hosting", Decimal("449.00"))], MAR_1)
    line = after.line("hosting")
    assert line is not None
    assert (line.unit_price, line.price_source) == (Decimal("449.00"), LinePriceSource.OVERRIDE)
    assert refusal([ChangePrice("api-calls", Decimal("0.01"))]) == [
        ("changes.0.unit_price", "a usage line is priced by its charge, not a unit price")
    ]


def test_periodicity_and_timing_change_separately() -> None:
    after = apply_changes(BASE, [ChangePeriodicity("hosting", timing=Timing.IN_ARREARS)], MAR_1)
    line = after.line("hosting")
    assert line is not None
    assert (str(line.periodicity), line.timing) == ("monthly", Timing.IN_ARREARS)
    annual = apply_changes(BASE, [ChangePeriodicity("hosting", periodicity=ANNUAL)], MAR_1)
    assert str(annual.lines[0].periodicity) == "annual"
    assert refusal([ChangePeriodicity("hosting")]) == [
        ("changes.0", "give a new periodicity, a new timing or both")
    ]


def test_a_new_discount_counts_its_periods_from_the_effective_date() -> None:
    three_months = Discount(DiscountKind.PERCENTAGE, Decimal(20), periods=3)
    after = apply_changes(BASE, [ChangeDiscount("hosting", (three_months,))], MAR_1)
    assert after.lines[0].discounts == (
        Discount(DiscountKind.PERCENTAGE, Decimal(20), periods=3, start=MAR_1),
    )
    removed = apply_changes(after, [ChangeDiscount("hosting", ())], date(2026, 4, 1))
    assert removed.lines[0].discounts == ()


def test_changing_the_pricelist_reprices_pricelist_lines_only() -> None:
    change = ChangePricelist("pl_2027", repriced=(("hosting", Decimal("419.00")),))
    after = apply_changes(BASE, [change], MAR_1)
    assert after.pricelist_id == "pl_2027"
    assert after.lines[0].unit_price == Decimal("419.00")
    wrong = ChangePricelist("pl_2027", repriced=(("licence", Decimal("100")),))
    assert refusal([wrong]) == [
        ("changes.0.repriced.0", "line 'licence' does not take its price from a pricelist")
    ]


def test_extending_and_shortening_the_term() -> None:
    fixed = contract(end_date=date(2027, 1, 1), lines=(hosting(), licence(end=date(2026, 12, 1))))
    # Extended to the last day 30 Jun 2027.
    longer = apply_changes(fixed, [ChangeTerm(end_date=date(2027, 7, 1))], MAR_1)
    assert longer.end_date == date(2027, 7, 1)
    assert longer.line("licence") == licence(end=date(2026, 12, 1))  # its own end is kept
    # Shortened to the last day 30 Sep 2026: the licence's own end is cut with it.
    shorter = apply_changes(fixed, [ChangeTerm(end_date=date(2026, 10, 1))], MAR_1)
    assert shorter.line("licence") == licence(end=date(2026, 10, 1))
    assert refusal([ChangeTerm(end_date=MAR_1)], terms=fixed) == [
        (
            "changes.0.end_date",
            "must be after the amendment's date (to end on that date, terminate)",
        )
    ]
    renewing = apply_changes(
        BASE,
        [
            ChangeTerm(
                initial_term_months=24, renewal=RenewalPolicy.auto(12), notice=NoticePeriod(2)
            )
        ],
        MAR_1,
    )
    assert (renewing.initial_term_months, renewing.renewal, renewing.notice) == (
        24,
        RenewalPolicy(12),
        NoticePeriod(2),
    )


def test_shortening_before_a_line_starts_is_refused() -> None:
    terms = contract(
        end_date=date(2027, 1, 1), lines=(hosting(), setup_fee(start=date(2026, 9, 1)))
    )
    [(field, message)] = refusal([ChangeTerm(end_date=date(2026, 6, 1))], terms=terms)
    assert field == "changes.0.end_date"
    assert message.startswith("line(s) setup would start after the new last day 2026-05-31")


def test_terminate_ends_contract_and_lines_and_stops_renewal() -> None:
    terms = contract(
        initial_term_months=12,
        renewal=RenewalPolicy.auto(12),
        lines=(hosting(), licence(end=date(2026, 12, 1)), setup_fee(start=date(2026, 9, 1))),
    )
    fee = setup_fee(line_key="early-termination", product_id="prd_fee", unit_price=Decimal(900))
    after = apply_changes(terms, [Terminate(fee_line=fee)], date(2026, 6, 1))
    assert after.end_date == date(2026, 6, 1)  # last day 31 May 2026
    assert after.renewal == RenewalPolicy()
    assert [line.line_key for line in after.lines] == ["hosting", "licence", "early-termination"]
    assert after.line("licence") == licence(end=date(2026, 6, 1))
    # The fee is billed once, on the last day covered: 31 May 2026.
    assert after.lines[-1].start == date(2026, 5, 31)


PERCENT_50 = Discount(DiscountKind.PERCENTAGE, Decimal(50))


def test_terminating_before_a_discount_starts_drops_it() -> None:
    # Terms as the API makes them: valid, with a discount from 1 June on a running line.
    june = replace(PERCENT_50, start=date(2026, 6, 1))
    terms = contract(lines=(hosting(discounts=(june,)),))
    after = apply_changes(terms, [Terminate()], date(2026, 5, 15))
    line = after.line("hosting")
    assert line is not None and line.discounts == ()


def test_ending_a_line_cuts_a_discount_running_past_the_end() -> None:
    # Until 1 Sep (last day 31 Aug), for 3 periods, forever, and from 1 Jun: ended on 15 May,
    # the first stops on 15 May, the next two stay (they have no date past it), the last goes.
    until = replace(PERCENT_50, until=date(2026, 9, 1))
    periods = Discount(DiscountKind.FIXED, Decimal(10), periods=3)
    june = replace(PERCENT_50, start=date(2026, 6, 1))
    discounts = (until, periods, PERCENT_50, june)
    terms = contract(lines=(hosting(discounts=discounts), licence(discounts=discounts)))
    may_15 = date(2026, 5, 15)
    cut = (replace(until, until=may_15), periods, PERCENT_50)
    terminated = apply_changes(terms, [Terminate()], may_15)
    shortened = apply_changes(terms, [ChangeTerm(end_date=may_15)], MAR_1)
    for after in (terminated, shortened):
        assert [line.discounts for line in after.lines] == [cut, cut]
    removed = apply_changes(terms, [RemoveLine("licence")], may_15)
    assert removed.line("licence") == licence(end=may_15, discounts=cut)
    assert removed.line("hosting") == hosting(discounts=discounts)  # not ended: untouched


def test_extending_the_term_keeps_the_discounts() -> None:
    later = replace(PERCENT_50, until=date(2027, 3, 1))
    terms = contract(end_date=date(2026, 12, 1), lines=(hosting(discounts=(later,)),))
    after = apply_changes(terms, [ChangeTerm(end_date=date(2027, 6, 1))], MAR_1)
    assert after.line("hosting") == hosting(discounts=(later,))


def test_a_line_ended_before_keeps_its_discounts() -> None:
    # The licence ended on 1 May with a discount dated past it: terminating on 1 Jun ends
    # nothing of it.
    past = replace(PERCENT_50, until=date(2026, 9, 1))
    terms = contract(lines=(hosting(), licence(end=date(2026, 5, 1), discounts=(past,))))
    after = apply_changes(terms, [Terminate()], date(2026, 6, 1))
    assert after.line("licence") == licence(end=date(2026, 5, 1), discounts=(past,))


def test_effective_dates_outside_the_contract_are_refused() -> None:
    assert refusal([ChangeQuantity("hosting", Decimal(2))], effective=date(2026, 1, 14)) == [
        ("effective_date", "2026-01-14 is before the contract start 2026-01-15")
    ]
    ended = contract(end_date=date(2026, 6, 1))
    assert refusal([ChangeQuantity("hosting", Decimal(2))], date(2026, 6, 1), ended) == [
        (
            "effective_date",
            "the contract ends after 2026-05-31: nothing can change on 2026-06-01",
        )
    ]
    assert refusal([]) == [("changes", "an amendment needs at least one change")]


def test_every_problem_of_an_amendment_is_reported() -> None:
    terms = contract(lines=(hosting(), licence(end=date(2026, 2, 1))))
    problems = refusal(
        [
            ChangeQuantity("storage", Decimal(2)),
            ChangeQuantity("licence", Decimal(2)),
            ChangePrice("hosting", Decimal("1.5")),
        ],
        terms=terms,
    )
    assert problems == [
        ("changes.0.line_key", "the contract has no line 'storage'"),
        ("changes.1.line_key", "line 'licence' ended after 2026-01-31 already"),
    ]


def test_the_resulting_terms_are_validated_and_named_at_the_change_that_set_the_value() -> None:
    assert refusal([ChangeQuantity("hosting", Decimal(0))]) == [
        ("changes.0.quantity", "must be greater than 0")
    ]
    # Change 1 adds a line of quantity 0; change 2 gives hosting 150 % off.
    too_much = Discount(DiscountKind.PERCENTAGE, Decimal(150), periods=3)
    problems = refusal(
        [
            ChangeQuantity("hosting", Decimal(2)),
            AddLine(setup_fee(quantity=Decimal(0))),
            ChangeDiscount("hosting", (too_much,)),
        ]
    )
    assert problems == [
        ("changes.2.discounts.0.value", "a percentage must be between 0 and 100"),
        ("changes.1.line.quantity", "must be greater than 0"),
    ]
