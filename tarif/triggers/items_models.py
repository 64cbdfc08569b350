"""Table `usage_items`: the billable items event triggers make, one per event and usage line.

An item is an accepted event as its usage line values it, at once: its quantity (what it adds
to the metric's quantity), what the period's quantity and rated amount became with it, and the
amount it adds. It links the event to the invoice that billed it: the event's own invoice for
an `immediate` trigger, the collection's invoice for a daily or weekly one. The invoices are
what is billed; items are the per-event account of them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped
from tarif.db.types import ExactDecimal
from tarif.usage.aggregates import quantity_from_micros
from tarif.usage.models import EventId


class UsageItem(TenantScoped, Base):
    __tablename__ = "usage_items"
    __table_args__ = (
        # One item per event and line, whichever worker values it first (an event's day is in
        # one period of the line). Its prefix also serves what the line's period has so far
        # (sums) and the items a collection invoices: one index to write, not two, since a
        # job writes thousands of items at once.
        UniqueConstraint(
            "organization_id",
            "contract_id",
            "line_key",
            "period_start",
            "event_id",
            name="uq_usage_items_one_per_event",
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    # Like the events they value, items are written thousands at a time: no foreign key to
    # check row by row (a third of the insert's time on PostgreSQL) and no index of the
    # organization's own (the unique key starts with it). Both ids come from the job's rows,
    # read in the same transaction (the contract is billable, so never deleted).
    organization_id: Mapped[str] = mapped_column(String(40))
    contract_id: Mapped[str] = mapped_column(String(40))
    line_key: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_day: Mapped[date] = mapped_column(Date)  # the event's local day
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    # The event's group-by values, JSON `[[name, value], …]` ("[]" without group-by).
    group_key: Mapped[str] = mapped_column(String(400), default="[]")
    band: Mapped[str] = mapped_column(String(8), default="")  # its fee band, if fees are bounded
    # What it adds to the quantity, in millionths (summed exactly by SQL on both databases).
    quantity_micros: Mapped[int] = mapped_column(BigInteger)
    period_quantity: Mapped[Decimal] = mapped_column(ExactDecimal())  # the group's, with it
    period_amount: Mapped[Decimal] = mapped_column(ExactDecimal())  # the period's, with it
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())  # what it adds, net of tax
    currency: Mapped[str] = mapped_column(String(3))
    accepted_at: Mapped[datetime] = mapped_column()  # the event's acceptance (received_at)
    created_at: Mapped[datetime] = mapped_column()
    invoice_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="SET NULL"), index=True
    )

    @property
    def quantity(self) -> Decimal:
        return quantity_from_micros(self.quantity_micros)
