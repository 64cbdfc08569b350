"""Shapes of the customer credit balance on the API and in the CLI's `--json`.

Amounts are strings with the currency's minor unit (`"121.20"`), signed on entries: + money the
customer can use, - money used or paid back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from tarif.api.schemas import ListResponse, StrictModel
from tarif.invoicing.balance import HistoryPage
from tarif.invoicing.balance_rules import RefundMethod
from tarif.invoicing.models import BalanceEntry
from tarif.invoicing.schemas import money


class GoodwillCreate(StrictModel):
    """A one-off commercial gesture credited to the customer's balance."""

    amount: str = Field(max_length=30, examples=["50.00"], description="Positive, minor unit")
    currency: str = Field(max_length=3, examples=["EUR"], description="ISO 4217 code")
    reason: str = Field(max_length=1000, examples=["Service outage on 12 January"])


class BalanceRefundCreate(StrictModel):
    """Money paid back to the customer out of its balance (at most what is available)."""

    amount: str = Field(max_length=30, examples=["20.00"], description="Positive, minor unit")
    currency: str = Field(max_length=3, examples=["EUR"], description="ISO 4217 code")
    reference: str = Field(max_length=200, examples=["VIR-2026-0042"])
    method: RefundMethod = RefundMethod.TRANSFER


class BalanceEntryRead(BaseModel):
    id: str
    object: str = "balance_entry"
    customer_id: str
    currency: str
    kind: str  # credit_note, goodwill, negative_invoice, applied, refund
    amount: str  # signed
    balance_after: str  # the currency's balance right after this entry
    credit_note_id: str | None
    invoice_id: str | None
    refund_id: str | None
    reason: str
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, entry: BalanceEntry, balance_after: Decimal) -> BalanceEntryRead:
        code = entry.currency
        return cls(
            id=entry.id,
            customer_id=entry.customer_id,
            currency=code,
            kind=entry.kind,
            amount=money(entry.amount, code),
            balance_after=money(balance_after, code),
            credit_note_id=entry.credit_note_id,
            invoice_id=entry.invoice_id,
            refund_id=entry.refund_id,
            reason=entry.reason,
            actor=entry.actor,
            created_at=entry.created_at,
        )


class CurrencyBalanceRead(BaseModel):
    currency: str
    available: str


class CustomerBalanceRead(BaseModel):
    """What the customer can use, per currency, and a page of its history, newest first."""

    object: str = "customer_balance"
    customer_id: str
    balances: list[CurrencyBalanceRead]
    history: ListResponse[BalanceEntryRead]

    @classmethod
    def of(
        cls, customer_id: str, balances: list[tuple[str, Decimal]], page: HistoryPage
    ) -> CustomerBalanceRead:
        return cls(
            customer_id=customer_id,
            balances=[
                CurrencyBalanceRead(currency=code, available=money(amount, code))
                for code, amount in balances
            ],
            history=ListResponse(
                data=[BalanceEntryRead.of(entry, after) for entry, after in page.rows],
                has_more=page.has_more,
                next_cursor=page.next_cursor,
            ),
        )
