"""Tables of usage triggers: `usage_line_triggers` and `threshold_crossings`.

A trigger is a setting of one usage line of a contract, kept apart from the versioned terms: it
changes when billing should happen, not what the customer agreed to pay. A line without a row
is billed at its period's end. `threshold_crossings` is the history progressive billing writes:
one row per level reached in a period, unique, so the same level is never invoiced twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped
from tarif.db.types import ExactDecimal


class UsageLineTrigger(TenantScoped, Timestamped, Base):
    __tablename__ = "usage_line_triggers"
    __table_args__ = (UniqueConstraint("organization_id", "contract_id", "line_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    line_key: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)  # UsageTrigger.to_json()


class ThresholdCrossing(TenantScoped, Base):
    """A level of a threshold trigger reached in the period `[period_start, period_end)`."""

    __tablename__ = "threshold_crossings"
    __table_args__ = (
        UniqueConstraint("organization_id", "contract_id", "line_key", "period_start", "level"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    line_key: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    level: Mapped[Decimal] = mapped_column(ExactDecimal())
    measure: Mapped[str] = mapped_column(String(10))  # amount | quantity
    value: Mapped[Decimal] = mapped_column(ExactDecimal())  # what was measured when it crossed
    invoice_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("invoices.id", ondelete="SET NULL"), index=True
    )
    crossed_at: Mapped[datetime] = mapped_column()
