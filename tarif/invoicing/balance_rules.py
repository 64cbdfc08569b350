"""Pure rules of a customer's credit balance: amounts, first-in first-out use, running balances.

A balance is a ledger of signed entries per (customer, currency): credits (a credit note's
amount sent to the balance, a goodwill gesture) are positive; what leaves it (applied to an
invoice, refunded) is negative. Nothing here reads a database: the service sums and loads the
entries, these functions decide.

**First in, first out.** Every use of the balance (an application to an invoice, a refund)
takes from the oldest credit still open. So the money still available always sits in the
*newest* credits: walking the credits newest first and stopping once they cover the available
balance finds exactly the open ones (`open_credits`), without replaying the whole history.

Amounts are exact `Decimal`s with at most the currency's minor unit of decimals. The service
also stores each amount as an integer count of minor units (`to_minor`), so the database sums
integers, exactly, on every backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tarif.errors import InvalidInput
from tarif.money import currency, is_known_currency
from tarif.money.number import D, decimals_of

# NUMERIC(20, 6) keeps 14 integer digits; a balance amount stays well inside.
MAX_AMOUNT = Decimal(10) ** 12
# What a payment's reference can hold (`invoice_payments.reference` is 200 characters).
REFERENCE_LENGTH = 200


class EntryKind(StrEnum):
    CREDIT_NOTE = "credit_note"  # + a credit note's amount sent to the balance
    GOODWILL = "goodwill"  # + a commercial gesture
    APPLIED = "applied"  # - used to pay an invoice at its finalization
    # + the negative amount due of an invoice of credits, at its finalization
    NEGATIVE_INVOICE = "negative_invoice"
    REFUND = "refund"  # - paid back to the customer


CREDIT_KINDS = frozenset({EntryKind.CREDIT_NOTE, EntryKind.GOODWILL})


class RefundMethod(StrEnum):
    TRANSFER = "transfer"
    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    CHEQUE = "cheque"
    CASH = "cash"
    OTHER = "other"


@dataclass(frozen=True)
class Credit:
    """A credit entry, or the part of it a computation speaks of (still open, or used)."""

    entry_id: str
    amount: Decimal


def currency_code(value: str) -> str:
    """An ISO 4217 code in use today (`eur` reads `EUR`); `InvalidInput` on `currency` else."""
    code = value.strip().upper()
    if not is_known_currency(code):
        raise InvalidInput.on("currency", f"'{value}' is not an ISO 4217 currency in use")
    return code


def positive_amount(value: Decimal | str, code: str) -> Decimal:
    """A positive amount with at most the currency's minor unit of decimals, as given: 50.00
    EUR is fine, 50.001 EUR, 0, -5 and 1.5 JPY are refused (`InvalidInput` on `amount`)."""
    try:
        amount = D(value)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidInput.on("amount", "not a decimal amount") from exc
    minor_unit = currency(code).minor_unit
    if amount <= 0:
        raise InvalidInput.on("amount", "must be more than zero")
    if decimals_of(amount) > minor_unit:
        raise InvalidInput.on("amount", f"at most {minor_unit} decimals in {code}")
    if amount >= MAX_AMOUNT:
        raise InvalidInput.on("amount", f"must be less than {MAX_AMOUNT}")
    return amount


def to_minor(amount: Decimal, minor_unit: int) -> int:
    """50.00 EUR → 5000; the amount must have at most `minor_unit` decimals (exact)."""
    units = amount.scaleb(minor_unit)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more than {minor_unit} decimals")
    return int(units)


def from_minor(units: int, minor_unit: int) -> Decimal:
    """5000 → 50.00 (two decimals for EUR): the inverse of `to_minor`, with the unit's decimals."""
    return (Decimal(units).scaleb(-minor_unit)).quantize(Decimal(1).scaleb(-minor_unit))


def open_credits(credits_newest_first: Iterable[Credit], available: Decimal) -> list[Credit]:
    """The credits still open when `available` is left, oldest first, with what is left of each.

    Uses take the oldest credits first, so what is left sits in the newest ones: walking them
    newest first, each is open in full until the last one needed, which is open for the rest.
    Credits 30 (old) and 40 (new) with 20 available: 40 alone covers it, so 20 of the 40 is open.
    """
    if available <= 0:
        return []
    found: list[Credit] = []
    missing = available
    for credit in credits_newest_first:
        part = min(credit.amount, missing)
        found.append(Credit(credit.entry_id, part))
        missing -= part
        if missing == 0:
            break
    if missing != 0:
        raise ValueError(f"the credits do not add up to the {available} available")
    found.reverse()
    return found


def take_oldest_first(open_oldest_first: Sequence[Credit], amount: Decimal) -> list[Credit]:
    """What each open credit gives to cover `amount`, oldest first (never more than is open).

    Open 30 and 40, amount 50: 30 from the first, then 50 − 30 = 20 from the second.
    """
    used: list[Credit] = []
    missing = amount
    for credit in open_oldest_first:
        if missing == 0:
            break
        part = min(credit.amount, missing)
        used.append(Credit(credit.entry_id, part))
        missing -= part
    if missing != 0:
        raise ValueError(f"the open credits do not cover {amount}")
    return used


def describe_uses(used: Sequence[Credit], code: str) -> str:
    """The credits an application used, in order: `bal_1 30.00 EUR, bal_2 20.00 EUR`."""
    quantum = Decimal(1).scaleb(-currency(code).minor_unit)
    return ", ".join(f"{c.entry_id} {c.amount.quantize(quantum)} {code}" for c in used)


def payment_reference(used: Sequence[Credit], code: str, applied_entry_id: str) -> str:
    """The payment's reference: the credit entries used, within the column's 200 characters.

    When they do not fit, the first ones are named and the rest counted, with the "applied"
    entry to read for the full list.
    """
    full = f"credit balance: {describe_uses(used, code)}"
    if len(full) <= REFERENCE_LENGTH:
        return full
    for shown in range(len(used) - 1, 0, -1):
        text = (
            f"credit balance: {describe_uses(used[:shown], code)} and {len(used) - shown} more"
            f" (see {applied_entry_id})"
        )
        if len(text) <= REFERENCE_LENGTH:
            return text
    return f"credit balance: {len(used)} credits (see {applied_entry_id})"[:REFERENCE_LENGTH]


def running_balances(
    entries_newest_first: Sequence[tuple[str, Decimal]], balance_after_first: dict[str, Decimal]
) -> list[Decimal]:
    """The balance after each entry of a history page, newest first, per currency.

    `entries_newest_first` holds (currency, signed amount); `balance_after_first` gives, per
    currency, the balance after the newest entry of that currency on the page (the service sums
    every entry up to the page's first one, one query). Going down the page, the balance before an
    entry, which is the balance after the next older one, is its balance after minus its amount.
    """
    running = dict(balance_after_first)
    out: list[Decimal] = []
    for code, amount in entries_newest_first:
        after = running[code]
        out.append(after)
        running[code] = after - amount
    return out
