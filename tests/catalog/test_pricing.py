from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.catalog.periodicity import Periodicity, PeriodUnit, Timing
from tarif.catalog.pricing import (
    AmbiguousDefaultPricelist,
    PriceEntry,
    PricelistCurrencyMismatch,
    PricelistTerms,
    PriceNotFound,
    PriceSource,
    find_price,
    overlapping_default,
)
from tarif.catalog.rules import Validity

MONTHLY = Periodicity(PeriodUnit.MONTH)
HOSTING = PriceEntry("prd_hosting", Decimal("399.00"), MONTHLY, Timing.IN_ADVANCE)
HOSTING_DISCOUNTED = PriceEntry("prd_hosting", Decimal("349.00"), MONTHLY, Timing.IN_ADVANCE)
API_CALLS = PriceEntry("prd_api", Decimal("0.0025"))

DEFAULT_2026 = PricelistTerms(
    id="pl_std26",
    name="Standard 2026",
    currency="EUR",
    validity=Validity(date(2026, 1, 1), date(2026, 12, 31)),
    is_default=True,
    entries=(HOSTING, API_CALLS),
)
KEY_ACCOUNTS = PricelistTerms(
    id="pl_key",
    name="Key accounts",
    currency="EUR",
    validity=Validity(date(2026, 3, 1), None),
    is_default=False,
    entries=(HOSTING_DISCOUNTED,),
)


def lookup(
    product_id: str,
    on: date,
    customer_pricelist: PricelistTerms | None = KEY_ACCOUNTS,
    defaults: tuple[PricelistTerms, ...] = (DEFAULT_2026,),
    currency: str = "EUR",
):  # type: ignore[no-untyped-def]
    return find_price(
        customer_id="cus_acme",
        customer_currency=currency,
        customer_pricelist=customer_pricelist,
        default_pricelists=defaults,
        product_id=product_id,
        on_date=on,
    )


def test_the_customer_pricelist_wins_when_valid_and_pricing_the_product() -> None:
    quote = lookup("prd_hosting", date(2026, 3, 1))  # first day of Key accounts, inclusive
    assert quote.unit_price == Decimal("349.00")
    assert quote.pricelist_id == "pl_key"
    assert quote.source is PriceSource.CUSTOMER_PRICELIST
    assert quote.periodicity == MONTHLY
    assert quote.timing is Timing.IN_ADVANCE
    assert quote.explanation.startswith("customer pricelist 'Key accounts'")


def test_before_its_validity_the_customer_pricelist_gives_way_to_the_default() -> None:
    quote = lookup("prd_hosting", date(2026, 2, 28))  # Key accounts starts on 1 March
    assert quote.unit_price == Decimal("399.00")
    assert quote.pricelist_id == "pl_std26"
    assert quote.source is PriceSource.DEFAULT_CUSTOMER_PRICELIST_NOT_VALID
    assert "is not valid that day" in quote.explanation


def test_a_product_missing_from_the_customer_pricelist_takes_the_default_price() -> None:
    quote = lookup("prd_api", date(2026, 6, 1))
    assert quote.unit_price == Decimal("0.0025")
    assert quote.pricelist_id == "pl_std26"
    assert quote.source is PriceSource.DEFAULT_PRODUCT_NOT_IN_CUSTOMER_PRICELIST
    assert quote.periodicity is None and quote.timing is None
    assert "has no price for it" in quote.explanation


def test_a_customer_without_pricelist_gets_the_default() -> None:
    quote = lookup("prd_hosting", date(2026, 12, 31), customer_pricelist=None)  # last day
    assert quote.unit_price == Decimal("399.00")
    assert quote.source is PriceSource.DEFAULT_PRICELIST


def test_no_price_anywhere_is_a_clear_error_naming_customer_product_date_and_currency() -> None:
    with pytest.raises(PriceNotFound) as caught:
        lookup("prd_api", date(2027, 1, 1))  # Standard 2026 ended on 31 Dec 2026
    message = str(caught.value)
    assert message.startswith("no price for product prd_api for customer cus_acme on 2027-01-01")
    assert "in EUR" in message
    assert "has no price for it, and no default EUR pricelist is valid that day" in message
    assert caught.value.on_date == date(2027, 1, 1)


def test_a_default_pricelist_without_the_product_is_reported() -> None:
    with pytest.raises(PriceNotFound, match=r"the default pricelist 'Standard 2026' .* no price"):
        lookup("prd_setup", date(2026, 6, 1), customer_pricelist=None)


def test_defaults_of_another_currency_are_ignored() -> None:
    with pytest.raises(PriceNotFound, match="no default USD pricelist is valid that day"):
        lookup("prd_hosting", date(2026, 6, 1), customer_pricelist=None, currency="USD")


def test_a_customer_pricelist_in_another_currency_is_refused_not_used() -> None:
    usd = PricelistTerms("pl_usd", "US", "USD", Validity(), False, (HOSTING,))
    with pytest.raises(PricelistCurrencyMismatch, match=r"billed in EUR .* is in USD"):
        lookup("prd_hosting", date(2026, 6, 1), customer_pricelist=usd)


def test_two_valid_defaults_are_never_chosen_between() -> None:
    twin = PricelistTerms("pl_twin", "Twin", "EUR", Validity(), True, (HOSTING_DISCOUNTED,))
    with pytest.raises(AmbiguousDefaultPricelist, match="several default EUR pricelists"):
        lookup(
            "prd_hosting", date(2026, 6, 1), customer_pricelist=None, defaults=(DEFAULT_2026, twin)
        )


def test_overlapping_default_finds_a_clash_of_one_currency_only() -> None:
    next_year = PricelistTerms(
        "pl_std27", "Standard 2027", "EUR", Validity(date(2027, 1, 1), None), True
    )
    from_december = PricelistTerms("pl_new", "New", "EUR", Validity(date(2026, 12, 1), None), True)
    usd = PricelistTerms("pl_usd", "US", "USD", Validity(), True)
    assert overlapping_default(next_year, [DEFAULT_2026, usd]) is None  # consecutive years
    assert overlapping_default(from_december, [DEFAULT_2026, usd]) is DEFAULT_2026
    assert overlapping_default(DEFAULT_2026, [DEFAULT_2026]) is None  # itself, when updated
    not_default = PricelistTerms("pl_x", "X", "EUR", Validity(), False)
    assert overlapping_default(not_default, [DEFAULT_2026]) is None
    assert overlapping_default(DEFAULT_2026, [not_default]) is None


# --- properties --------------------------------------------------------------------------------

BASE = date(2026, 1, 1)
day = st.integers(0, 60).map(lambda n: BASE + timedelta(days=n))
products = st.sampled_from(["p1", "p2", "p3"])


@st.composite
def validities(draw: st.DrawFn) -> Validity:
    start, end = draw(st.none() | day), draw(st.none() | day)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return Validity(start, end)


@st.composite
def pricelists(draw: st.DrawFn, name: str, is_default: bool) -> PricelistTerms:
    priced = draw(st.sets(products))
    prices = [Decimal(draw(st.integers(0, 10**6))) / 100 for _ in priced]
    entries = tuple(PriceEntry(p, price) for p, price in zip(sorted(priced), prices, strict=True))
    return PricelistTerms(name, name, "EUR", draw(validities()), is_default, entries)


@st.composite
def non_overlapping_defaults(draw: st.DrawFn) -> tuple[PricelistTerms, ...]:
    candidates = draw(st.lists(pricelists("default", True), max_size=3))
    kept: list[PricelistTerms] = []
    for i, candidate in enumerate(candidates):
        candidate = PricelistTerms(
            f"d{i}", f"d{i}", "EUR", candidate.validity, True, candidate.entries
        )
        if overlapping_default(candidate, kept) is None:
            kept.append(candidate)
    return tuple(kept)


@given(st.none() | pricelists("own", False), non_overlapping_defaults(), products, day)
def test_a_quote_always_comes_from_a_pricelist_valid_that_day_and_pricing_the_product(
    own: PricelistTerms | None, defaults: tuple[PricelistTerms, ...], product: str, on: date
) -> None:
    everything = {p.id: p for p in (*defaults, *([own] if own else []))}
    try:
        quote = lookup(product, on, customer_pricelist=own, defaults=defaults)
    except PriceNotFound:
        # Then neither a valid own entry nor a valid default entry exists.
        usable = [
            p
            for p in everything.values()
            if p.validity.contains(on) and p.entry_for(product) is not None
        ]
        assert usable == []
        return
    source = everything[quote.pricelist_id]
    assert source.validity.contains(on)
    entry = source.entry_for(product)
    assert entry is not None and entry.unit_price == quote.unit_price


@given(pricelists("own", False), non_overlapping_defaults(), products, day)
def test_the_customer_pricelist_is_preferred_whenever_it_can_answer(
    own: PricelistTerms, defaults: tuple[PricelistTerms, ...], product: str, on: date
) -> None:
    own_entry = own.entry_for(product)
    if own.validity.contains(on) and own_entry is not None:
        quote = lookup(product, on, customer_pricelist=own, defaults=defaults)
        assert quote.source is PriceSource.CUSTOMER_PRICELIST
        assert quote.unit_price == own_entry.unit_price
    else:
        # Otherwise the answer is exactly the default's, whatever the customer's pricelist.
        try:
            with_own = lookup(product, on, customer_pricelist=own, defaults=defaults)
        except PriceNotFound:
            with pytest.raises(PriceNotFound):
                lookup(product, on, customer_pricelist=None, defaults=defaults)
            return
        without = lookup(product, on, customer_pricelist=None, defaults=defaults)
        assert (with_own.pricelist_id, with_own.unit_price) == (
            without.pricelist_id,
            without.unit_price,
        )
        assert with_own.source is not PriceSource.CUSTOMER_PRICELIST
