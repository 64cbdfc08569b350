"""Contract rules that need facts from the database, as small pure predicates.

The service looks the facts up (the pricelist's currency, which products are archived, the
organization's other references, how far the contract is invoiced) and passes them in; each
predicate answers with `FieldError`s like `tarif.contracts.rules.validate_terms`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

from tarif.catalog.rules import ProductKind
from tarif.contracts.dates import last_day
from tarif.contracts.model import ContractTerms
from tarif.errors import FieldError


def pricelist_currency_problem(
    contract_currency: str, pricelist_currency: str
) -> FieldError | None:
    """A contract is billed in one currency: its pricelist must be in that currency."""
    if contract_currency == pricelist_currency:
        return None
    return FieldError(
        "pricelist_id",
        f"the pricelist is in {pricelist_currency} but the contract is in {contract_currency}",
    )


def reference_problem(reference: str, references_in_use: Collection[str]) -> FieldError | None:
    """References are unique per organization (the caller passes the organization's others)."""
    if reference.strip() in references_in_use:
        return FieldError("reference", f"'{reference.strip()}' is already used by another contract")
    return None


def archived_product_problems(
    terms: ContractTerms, product_is_active: Mapping[str, bool], line_keys: Collection[str]
) -> list[FieldError]:
    """Lines among `line_keys` (the new or changed ones) on a product that is archived."""
    return [
        FieldError(f"lines.{index}.product_id", f"product {line.product_id} is archived")
        for index, line in enumerate(terms.lines)
        if line.line_key in line_keys and not product_is_active.get(line.product_id, True)
    ]


def product_kind_problems(
    terms: ContractTerms, kind_of_product: Mapping[str, ProductKind]
) -> list[FieldError]:
    """A line's kind must be its product's kind (a usage product makes a usage line)."""
    problems = []
    for index, line in enumerate(terms.lines):
        kind = kind_of_product.get(line.product_id)
        if kind is not None and kind is not line.kind:
            problems.append(
                FieldError(
                    f"lines.{index}.kind",
                    f"product {line.product_id} is {kind.value}, not {line.kind.value}",
                )
            )
    return problems


def invoiced_termination_problem(
    termination: date, invoiced_until: date | None, *, with_credit: bool
) -> FieldError | None:
    """Ending before a day already invoiced (`invoiced_until` is exclusive) needs a credit."""
    if invoiced_until is None or termination >= invoiced_until or with_credit:
        return None
    return FieldError(
        "termination_date",
        f"{termination.isoformat()} is before {last_day(invoiced_until).isoformat()}, already "
        "invoiced: terminate with a credit for the invoiced days, or choose a later date",
    )
