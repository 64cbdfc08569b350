"""API shapes of usage triggers: the body that sets one, the settings, the history and the
billable items read."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tarif.api.schemas import DecimalString, StrictModel
from tarif.billing.triggers import UsageTrigger
from tarif.triggers.items_models import UsageItem
from tarif.triggers.items_service import public_item_id
from tarif.triggers.models import ThresholdCrossing
from tarif.triggers.rules import summary
from tarif.triggers.service import LineTrigger
from tarif.usage.event_schemas import public_id


class TriggerBody(StrictModel):
    """A trigger's JSON. Which fields count depends on `kind`; a field of another kind is refused
    by name, and so is each bad threshold (`thresholds.1`)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "threshold",
                    "thresholds": ["500.00", "1000.00"],
                    "every": "1000.00",
                    "measure": "amount",
                },
                {"kind": "event", "cadence": "daily"},
                {"kind": "period_end"},
            ]
        },
    )

    kind: str = Field("period_end", description="period_end, threshold or event")
    thresholds: Any = Field(
        None, description='threshold: increasing positive decimal strings, e.g. ["500.00"]'
    )
    every: Any = Field(None, description="threshold: after the last one, a level every this much")
    measure: Any = Field(None, description="threshold: amount (default) or quantity")
    cadence: Any = Field(None, description="event: immediate (default), daily or weekly")

    def as_json(self) -> dict[str, Any]:
        """What was sent, as `tarif.billing.triggers.decode_trigger` reads it."""
        return self.model_dump(exclude_unset=True)


class TriggerRead(BaseModel):
    line_key: str
    description: str | None = Field(None, description="the line's, when it is in the terms")
    in_terms: bool = Field(description="false: a setting kept for a line no longer in the terms")
    kind: str
    thresholds: list[DecimalString] = []
    every: DecimalString | None = None
    measure: str | None = None
    cadence: str | None = None
    summary: str
    updated_at: datetime | None = None

    @classmethod
    def of(
        cls, line_key: str, trigger: UsageTrigger, item: LineTrigger | None = None
    ) -> TriggerRead:
        data = trigger.to_json()
        line = item.line if item is not None else None
        row = item.row if item is not None else None
        return cls(
            line_key=line_key,
            description=line.description if line is not None else None,
            in_terms=item is None or line is not None,
            kind=data["kind"],
            thresholds=list(trigger.thresholds),
            every=trigger.every,
            measure=data.get("measure"),
            cadence=data.get("cadence"),
            summary=summary(trigger),
            updated_at=row.updated_at if row is not None else None,
        )

    @classmethod
    def of_item(cls, item: LineTrigger) -> TriggerRead:
        return cls.of(item.line_key, item.trigger, item)


class CrossingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    contract_id: str
    line_key: str
    period_start: date
    period_end: date = Field(description="exclusive: the first day after the period")
    level: DecimalString
    measure: str
    value: DecimalString
    invoice_id: str | None
    crossed_at: datetime

    @classmethod
    def of(cls, row: ThresholdCrossing) -> CrossingRead:
        return cls.model_validate(row)


class UsageItemRead(BaseModel):
    """One accepted event as its usage line valued it, and the invoice that billed it."""

    id: str = Field(examples=["uit_42"])
    object: str = "usage_item"
    contract_id: str
    line_key: str
    event_id: str = Field(examples=["evt_1042"], description="the event, as /v1/events shows it")
    event_day: date = Field(description="the event's local day")
    period_start: date
    period_end: date = Field(description="exclusive: the first day after the period")
    group: dict[str, str] = Field(description="the event's group-by values ({} without)")
    band: str | None = Field(None, description="its fee band (below, between, above), if any")
    quantity: DecimalString = Field(description="what the event adds to the metric's quantity")
    period_quantity: DecimalString = Field(description="the group's quantity with it")
    period_amount: DecimalString = Field(description="the period's rated amount with it")
    amount: DecimalString = Field(description="what it adds, net of tax")
    currency: str
    accepted_at: datetime = Field(description="when the event was accepted")
    created_at: datetime = Field(description="when the item was valued")
    delay_ms: int = Field(description="created_at − accepted_at, in milliseconds")
    invoice_id: str | None = Field(description="the invoice that billed it (null: not yet)")
    invoice_url: str | None = None

    @classmethod
    def of(cls, row: UsageItem) -> UsageItemRead:
        pairs: list[list[str]] = json.loads(row.group_key)
        return cls(
            id=public_item_id(row.id),
            contract_id=row.contract_id,
            line_key=row.line_key,
            event_id=public_id(row.event_id),
            event_day=row.event_day,
            period_start=row.period_start,
            period_end=row.period_end,
            group={str(name): str(value) for name, value in pairs},
            band=row.band or None,
            quantity=row.quantity,
            period_quantity=row.period_quantity,
            period_amount=row.period_amount,
            amount=row.amount,
            currency=row.currency,
            accepted_at=row.accepted_at,
            created_at=row.created_at,
            delay_ms=(row.created_at - row.accepted_at) // timedelta(milliseconds=1),
            invoice_id=row.invoice_id,
            invoice_url=f"/v1/invoices/{row.invoice_id}" if row.invoice_id else None,
        )
