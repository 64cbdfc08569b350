"""Tables of usage alerts: `usage_alerts` and `usage_alert_firings`.

An alert watches a contract's usage of one metric, on one usage line (`line_key`) or on every
usage line measuring the metric (`line_key` null), against a limit: an included quantity in the
metric's unit, or a spending limit in the contract's currency. It bills nothing; it notifies.
`usage_alert_firings` keeps one row per level reached in a period, unique, so a level is
notified once per period.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped
from tarif.db.types import ExactDecimal


class UsageAlert(TenantScoped, Timestamped, Base):
    __tablename__ = "usage_alerts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    metric_code: Mapped[str] = mapped_column(String(100))
    line_key: Mapped[str | None] = mapped_column(String(40))  # None: every line of the metric
    measure: Mapped[str] = mapped_column(String(10))  # amount | quantity
    limit: Mapped[Decimal] = mapped_column("limit", ExactDecimal())
    levels: Mapped[list[int]] = mapped_column(JSON)  # percentages of the limit, increasing


class UsageAlertFiring(TenantScoped, Base):
    """A level of an alert reached in the period `[period_start, period_end)`."""

    __tablename__ = "usage_alert_firings"
    __table_args__ = (UniqueConstraint("alert_id", "period_start", "level"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("usage_alerts.id", ondelete="CASCADE"), index=True
    )
    contract_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    level: Mapped[int] = mapped_column(Integer)  # percent of the limit
    value: Mapped[Decimal] = mapped_column(ExactDecimal())  # what was measured when it fired
    fired_at: Mapped[datetime] = mapped_column()
