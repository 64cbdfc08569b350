"""Price lookup: which unit price applies to a customer, a product and a day, and why.

Pure: the caller loads the pricelists and passes them as plain values.

The rule, in order:
1. the customer's assigned pricelist, when it is valid that day and prices the product;
2. otherwise the organization's default pricelist in the customer's currency valid that day;
3. otherwise `PriceNotFound`, which says why each step failed.

A customer's pricelist that is valid but does not price the product falls back to the default
pricelist (step 2): a negotiated pricelist usually lists only the negotiated products, and the
rest keep the public price. The quote's `source` says which step answered, so an invoice line can
show where its price came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tarif.catalog.periodicity import Periodicity, Timing
from tarif.catalog.rules import Validity
from tarif.pricing.spec import ChargeSpec


@dataclass(frozen=True)
class PriceEntry:
    """One product's price in a pricelist."""

    product_id: str
    unit_price: Decimal
    periodicity: Periodicity | None = None  # recurring products only
    timing: Timing | None = None  # recurring products only
    charge: ChargeSpec | None = None  # usage products only: how the usage is priced


@dataclass(frozen=True)
class PricelistTerms:
    """A pricelist as the lookup sees it; `entries` may hold only the products of interest."""

    id: str
    name: str
    currency: str
    validity: Validity
    is_default: bool
    entries: tuple[PriceEntry, ...] = ()

    def entry_for(self, product_id: str) -> PriceEntry | None:
        return next((e for e in self.entries if e.product_id == product_id), None)

    def describe(self) -> str:
        return f"'{self.name}' ({self.id}, {self.currency}, {self.validity})"


class PriceSource(StrEnum):
    """Which step of the lookup gave the price; kept with invoice lines for traceability."""

    CUSTOMER_PRICELIST = "customer_pricelist"
    DEFAULT_PRICELIST = "default_pricelist"  # the customer has no pricelist of their own
    DEFAULT_CUSTOMER_PRICELIST_NOT_VALID = "default_pricelist_customer_pricelist_not_valid"
    DEFAULT_PRODUCT_NOT_IN_CUSTOMER_PRICELIST = (
        "default_pricelist_product_not_in_customer_pricelist"
    )


@dataclass(frozen=True)
class PriceQuote:
    unit_price: Decimal
    currency: str
    pricelist_id: str
    pricelist_name: str
    periodicity: Periodicity | None
    timing: Timing | None
    source: PriceSource
    explanation: str
    charge: ChargeSpec | None = None


class PricingError(ValueError):
    """The price cannot be decided; the message says why."""


class PriceNotFound(PricingError):
    def __init__(
        self, *, customer_id: str, product_id: str, on_date: date, currency: str, reason: str
    ) -> None:
        self.customer_id = customer_id
        self.product_id = product_id
        self.on_date = on_date
        self.currency = currency
        self.reason = reason
        super().__init__(
            f"no price for product {product_id} for customer {customer_id} "
            f"on {on_date.isoformat()} in {currency}: {reason}"
        )


class PricelistCurrencyMismatch(PricingError):
    """The customer's pricelist is in another currency than the one the customer is billed in."""


class AmbiguousDefaultPricelist(PricingError):
    """Two default pricelists of one currency are valid the same day (refused when saving)."""


def find_price(
    *,
    customer_id: str,
    customer_currency: str,
    customer_pricelist: PricelistTerms | None,
    default_pricelists: Iterable[PricelistTerms],
    product_id: str,
    on_date: date,
) -> PriceQuote:
    """The unit price of `product_id` for this customer on `on_date` (see the module's rule)."""
    if customer_pricelist is not None and customer_pricelist.currency != customer_currency:
        raise PricelistCurrencyMismatch(
            f"customer {customer_id} is billed in {customer_currency} but their pricelist "
            f"{customer_pricelist.describe()} is in {customer_pricelist.currency}"
        )
    if customer_pricelist is None:
        source, why = PriceSource.DEFAULT_PRICELIST, "the customer has no pricelist of their own"
    elif not customer_pricelist.validity.contains(on_date):
        source = PriceSource.DEFAULT_CUSTOMER_PRICELIST_NOT_VALID
        why = f"the customer's pricelist {customer_pricelist.describe()} is not valid that day"
    else:
        entry = customer_pricelist.entry_for(product_id)
        if entry is not None:
            return _quote(
                customer_pricelist,
                entry,
                PriceSource.CUSTOMER_PRICELIST,
                f"customer pricelist {customer_pricelist.describe()}",
            )
        source = PriceSource.DEFAULT_PRODUCT_NOT_IN_CUSTOMER_PRICELIST
        why = f"the customer's pricelist {customer_pricelist.describe()} has no price for it"

    def not_found(reason: str) -> PriceNotFound:
        return PriceNotFound(
            customer_id=customer_id,
            product_id=product_id,
            on_date=on_date,
            currency=customer_currency,
            reason=f"{why}, and {reason}",
        )

    default = _default_on(default_pricelists, customer_currency, on_date)
    if default is None:
        raise not_found(f"no default {customer_currency} pricelist is valid that day")
    entry = default.entry_for(product_id)
    if entry is None:
        raise not_found(f"the default pricelist {default.describe()} has no price for it")
    return _quote(default, entry, source, f"default pricelist {default.describe()}: {why}")


def _default_on(
    pricelists: Iterable[PricelistTerms], currency: str, on_date: date
) -> PricelistTerms | None:
    candidates = [
        p
        for p in pricelists
        if p.is_default and p.currency == currency and p.validity.contains(on_date)
    ]
    if len(candidates) > 1:
        names = ", ".join(p.describe() for p in candidates)
        raise AmbiguousDefaultPricelist(
            f"several default {currency} pricelists are valid on {on_date.isoformat()}: {names}"
        )
    return candidates[0] if candidates else None


def _quote(
    pricelist: PricelistTerms, entry: PriceEntry, source: PriceSource, explanation: str
) -> PriceQuote:
    return PriceQuote(
        unit_price=entry.unit_price,
        currency=pricelist.currency,
        pricelist_id=pricelist.id,
        pricelist_name=pricelist.name,
        periodicity=entry.periodicity,
        timing=entry.timing,
        source=source,
        explanation=explanation,
        charge=entry.charge,
    )


def overlapping_default(
    candidate: PricelistTerms, others: Sequence[PricelistTerms]
) -> PricelistTerms | None:
    """The first other default pricelist of the candidate's currency whose validity overlaps it.

    At most one default pricelist per currency may apply on any day, so the lookup never has to
    choose between two.
    """
    if not candidate.is_default:
        return None
    return next(
        (
            other
            for other in others
            if other.id != candidate.id
            and other.is_default
            and other.currency == candidate.currency
            and other.validity.overlaps(candidate.validity)
        ),
        None,
    )
