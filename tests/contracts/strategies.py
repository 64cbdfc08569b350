"""Hypothesis strategies: contracts and sequences of valid amendments on them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from tarif.catalog.periodicity import Periodicity, PeriodUnit, Timing
from tarif.catalog.rules import ProductKind
from tarif.contracts.amendments import Amendment, AmendmentStatus
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
from tarif.contracts.dates import add_months
from tarif.contracts.model import (
    ContractLine,
    ContractTerms,
    Discount,
    DiscountKind,
    LinePriceSource,
    NoticePeriod,
    RenewalPolicy,
)
from tests.contracts.factories import api_calls, contract, hosting, licence, setup_fee

REPEATING = [
    Periodicity(PeriodUnit.MONTH),
    Periodicity(PeriodUnit.MONTH, 3),
    Periodicity(PeriodUnit.MONTH, 12),
    Periodicity(PeriodUnit.WEEK, 2),
]
quantities = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(500), places=2)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(5000), places=4)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def originals(draw: st.DrawFn) -> ContractTerms:
    """Evergreen or fixed-term contracts with two to four lines of every kind."""
    start = draw(days)
    end = draw(st.none() | st.integers(6, 36).map(lambda months: add_months(start, months)))
    lines = [hosting(quantity=draw(quantities)), licence(unit_price=draw(prices))]
    if draw(st.booleans()):
        lines.append(setup_fee())
    if draw(st.booleans()):
        lines.append(api_calls(start=start + timedelta(days=draw(st.integers(0, 40)))))
    initial = draw(st.none() | st.integers(1, 24))
    renews = end is None and initial is not None and draw(st.booleans())
    return contract(
        start_date=start,
        end_date=end,
        initial_term_months=initial,
        renewal=RenewalPolicy.auto(draw(st.integers(1, 12))) if renews else RenewalPolicy(),
        lines=tuple(lines),
    )


def _running(terms: ContractTerms, day: date) -> list[ContractLine]:
    return [line for line in terms.lines if (terms.line_end(line) or date.max) > day]


@st.composite
def change_on(draw: st.DrawFn, terms: ContractTerms, day: date, sequence: int) -> Change:
    """One change that makes sense for `terms` on `day` (the result is still validated)."""
    running = _running(terms, day)
    kinds = ["add", "term", "pricelist", "terminate"]
    kinds += ["remove", "quantity", "price", "periodicity", "discount"] if running else []
    kind = draw(st.sampled_from(kinds))
    if kind == "add":
        line = hosting(line_key=f"added-{sequence}", quantity=draw(quantities))
        later = draw(st.none() | st.integers(0, 30).map(lambda n: day + timedelta(days=n)))
        return AddLine(replace(line, start=later, periodicity=draw(st.sampled_from(REPEATING))))
    if kind == "term":
        end = draw(st.none() | st.integers(1, 400).map(lambda n: day + timedelta(days=n)))
        notice = draw(st.none() | st.builds(NoticePeriod, st.integers(0, 3), st.integers(0, 20)))
        if end is None and notice is None:
            return ChangeTerm(notice=NoticePeriod(1))
        return ChangeTerm(end_date=end, notice=notice, renewal=RenewalPolicy())
    if kind == "pricelist":
        from_pricelist = [x for x in running if x.price_source is LinePriceSource.PRICELIST]
        repriced = tuple(
            (x.line_key, draw(prices)) for x in from_pricelist if x.unit_price is not None
        )
        return ChangePricelist(f"pl_{sequence}", repriced)
    if kind == "terminate":
        return Terminate()
    line = draw(st.sampled_from(running))
    if kind == "remove":
        return RemoveLine(line.line_key)
    if kind == "quantity":
        return ChangeQuantity(line.line_key, draw(quantities))
    if kind == "price":
        return ChangePrice(line.line_key, draw(prices), draw(st.sampled_from(LinePriceSource)))
    if kind == "periodicity":
        if line.kind is not ProductKind.RECURRING:
            return ChangePeriodicity(line.line_key, timing=line.timing)
        timing = draw(st.sampled_from(Timing))
        return ChangePeriodicity(line.line_key, draw(st.sampled_from(REPEATING)), timing)
    percentage = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)
    discount = st.builds(
        Discount,
        kind=st.just(DiscountKind.PERCENTAGE),
        value=percentage,
        periods=st.none() | st.integers(1, 12),
    )
    return ChangeDiscount(line.line_key, tuple(draw(st.lists(discount, max_size=2))))


@st.composite
def amended_contracts(draw: st.DrawFn) -> tuple[ContractTerms, list[Amendment]]:
    """A contract and amendments that are valid when replayed in (date, sequence) order.

    They are returned shuffled: nothing may depend on the order they are handed over in.
    """
    original = draw(originals())
    current, day, amendments = original, original.start_date, []
    for sequence in range(1, draw(st.integers(0, 7)) + 1):
        day += timedelta(days=draw(st.integers(0, 75)))
        if current.end_date is not None and day >= current.end_date:
            break
        changes = tuple(draw(st.lists(change_on(current, day, sequence), min_size=1, max_size=2)))
        try:
            current = apply_changes(current, changes, day)
        except AmendmentRefused:
            continue  # e.g. an end date before a line starts: not a valid amendment
        status = draw(st.sampled_from([AmendmentStatus.SCHEDULED, AmendmentStatus.APPLIED]))
        amendments.append(
            Amendment(f"AM-{sequence}", sequence, day, "change", "alice", changes, status)
        )
    return original, draw(st.permutations(amendments))
