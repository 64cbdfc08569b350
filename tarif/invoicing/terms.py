"""Payment terms: the due date of an invoice and the sentence printed about it.

Pure code. Terms are a number of days, optionally "end of month" (French "fin de mois"): the
issue date plus the days, then the last day of the month that day falls in. So "30 jours fin de
mois" from 15 Jan 2026 is 14 Feb 2026, then 28 Feb 2026; "45 jours fin de mois" from
31 Jan 2026 is 17 Mar 2026, then 31 Mar 2026. Zero days is payment on receipt (due on the issue
date), or at the end of the issue month with the end-of-month flag.

A contract's `payment_terms_days` replaces the customer's number of days when the invoice comes
from that one contract; the customer's end-of-month choice stays (the contract says how many
days, not how they are counted).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MAX_DAYS = 365  # the longest terms customers and contracts accept


@dataclass(frozen=True)
class PaymentTerms:
    days: int
    end_of_month: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.days <= MAX_DAYS:
            raise ValueError(f"payment terms are 0 to {MAX_DAYS} days, not {self.days}")

    def due_date(self, issued: date) -> date:
        due = issued + timedelta(days=self.days)
        if self.end_of_month:
            return end_of_month(due)
        return due

    def text(self, language: str) -> str:
        """The sentence printed on the document, in French (`fr`) or English (anything else)."""
        french = language == "fr"
        if self.days == 0 and not self.end_of_month:
            return "Paiement à réception" if french else "Payment on receipt"
        if self.days == 0:
            return "Paiement fin de mois" if french else "Payment at the end of the month"
        days = (
            f"{self.days} jour{'s' if self.days > 1 else ''}"
            if french
            else (f"{self.days} day{'s' if self.days > 1 else ''}")
        )
        if self.end_of_month:
            return (
                f"Paiement à {days} fin de mois"
                if french
                else (f"Payment within {days} end of month")
            )
        return f"Paiement à {days}" if french else f"Payment within {days}"


def end_of_month(day: date) -> date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def single_contract(
    invoice_contract_id: str | None, line_contract_ids: Iterable[str | None]
) -> str | None:
    """The contract an invoice comes from: its own, else the one every contract line shares.

    Lines without a contract (manual lines, discounts) do not count; lines of two contracts
    name none.
    """
    if invoice_contract_id is not None:
        return invoice_contract_id
    contracts = {cid for cid in line_contract_ids if cid is not None}
    return contracts.pop() if len(contracts) == 1 else None


def terms_for(
    customer_days: int, customer_end_of_month: bool, contract_days: int | None = None
) -> PaymentTerms:
    """The customer's terms, with the days of the invoice's contract when it sets some."""
    days = customer_days if contract_days is None else contract_days
    return PaymentTerms(days, customer_end_of_month)
