"""Tables of the usage capability: metric definitions, the events they count, and how far each
customer's usage has been billed.

Events are the only high-volume table of Tarif. What aggregation needs is extracted when an event
is accepted, so a period's quantity is a `GROUP BY` over typed columns:
- `value_micros`: the numeric value the event's metric reads (its `field` property, or the
  valuation SmartCode's result) as an integer count of millionths. Quantities have at most six
  decimals (domain rules), so integers hold them exactly on every backend, and SQLite, which has
  no exact decimal type, sums them exactly too (its REAL would not).
- `unique_key`: the field's value as text, for `unique_count`.
- `local_date`: the day, in the organization's time zone, that the event belongs to, so periods
  (half-open ranges of local dates) select events with a plain range on an index.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped

# SQLite only auto-increments an INTEGER PRIMARY KEY; BIGINT elsewhere for billions of rows.
EventId = BigInteger().with_variant(Integer(), "sqlite")

MICROS = 1_000_000


class Metric(TenantScoped, Timestamped, Base):
    """A billable quantity: what to aggregate over which events of a period."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="unit")
    # count | sum | max | unique_count | latest | weighted_sum
    aggregation: Mapped[str] = mapped_column(String(20))
    # The property the aggregation reads (None for count).
    field: Mapped[str | None] = mapped_column(String(100))
    # [{"property": "region", "op": "eq|in|not_in|gt|gte|lt|lte", "value": ...}, ...]
    filters: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Property names the quantity is split by, e.g. ["region"].
    group_by: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # False: the quantity starts from zero each period; True: carried over (e.g. seats, storage).
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    # A valuation SmartCode computes each event's value instead of reading `field`.
    valuation_smartcode_id: Mapped[str | None] = mapped_column(String(40))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class UsageEvent(TenantScoped, Base):
    """One consumption record, immutable once stored. A repeat of (source, transaction_id) in
    the organization is acknowledged as a duplicate and not stored again."""

    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("organization_id", "source", "transaction_id"),
        # Aggregation of a period: one metric, one customer, a range of local days.
        Index(
            "ix_usage_events_rating",
            "organization_id",
            "metric_code",
            "customer_id",
            "local_date",
        ),
        # Late events received since an instant: what a billing run re-rates (partial: late
        # events are few).
        Index(
            "ix_usage_events_late",
            "organization_id",
            "metric_code",
            "received_at",
            postgresql_where=text("late"),
            sqlite_where=text("late"),
        ),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    # The hot write path: no index of its own (the unique key and the rating index start with
    # it) and no foreign key, whose check PostgreSQL would run for every stored event. The
    # organization comes from the authenticated context of every write, never from the body.
    organization_id: Mapped[str] = mapped_column(String(40))
    # "" for events posted to /v1/events; a CloudEvent's `source` otherwise.
    source: Mapped[str] = mapped_column(String(200), default="")
    transaction_id: Mapped[str] = mapped_column(String(200))
    metric_code: Mapped[str] = mapped_column(String(60))
    customer_id: Mapped[str] = mapped_column(String(40))
    contract_id: Mapped[str | None] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column()
    local_date: Mapped[date] = mapped_column(Date)
    value_micros: Mapped[int | None] = mapped_column(BigInteger)
    # The metric's field as text, for `unique_count` (a user id, a phone number…).
    unique_key: Mapped[str | None] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column()
    # Its local date was in a period already invoiced when it arrived: billed as an
    # adjustment on the next invoice (or refused, per the organization's setting).
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # The valuation SmartCode version that computed `value_micros`, if any.
    smartcode_version_id: Mapped[str | None] = mapped_column(String(40))


class UsageWatermark(TenantScoped, Base):
    """The first local day of a customer's metric not yet invoiced: events before it are late."""

    __tablename__ = "usage_watermarks"
    __table_args__ = (UniqueConstraint("organization_id", "customer_id", "metric_code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    metric_code: Mapped[str] = mapped_column(String(60))
    billed_until: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class UnvaluedEvent(TenantScoped, Base):
    """An event stored while its organization bills some usage line on each event, waiting for
    the `usage.triggers` job to make its billable items. The ingestion writes the row in the
    event's own statement; the job takes (deletes) the rows of its metric, day and customers:
    exactly the events not valued yet, whatever the order their batches committed in, without
    reading the day's other events again."""

    __tablename__ = "usage_events_unvalued"
    __table_args__ = (
        Index(
            "ix_usage_events_unvalued_job",
            "organization_id",
            "metric_code",
            "local_date",
            "customer_id",
        ),
    )

    event_id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=False)
    # Written with every event: like `usage_events.organization_id`, no index of its own (the
    # job's index starts with it) and no foreign key checked row by row.
    organization_id: Mapped[str] = mapped_column(String(40))
    metric_code: Mapped[str] = mapped_column(String(60))
    customer_id: Mapped[str] = mapped_column(String(40))
    local_date: Mapped[date] = mapped_column(Date)
