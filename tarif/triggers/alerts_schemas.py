"""API shapes of usage alerts: the bodies that create and edit one, an alert and a firing read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tarif.api.schemas import DecimalString, StrictModel
from tarif.triggers.alerts_models import UsageAlert, UsageAlertFiring
from tarif.triggers.alerts_rules import threshold


class AlertBody(StrictModel):
    """An alert's JSON; each bad field is refused by name (`levels.1`)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "metric_code": "turnover",
                    "measure": "amount",
                    "limit": "1000.00",
                    "levels": [80, 100],
                },
                {
                    "metric_code": "api_calls",
                    "line_key": "api-calls",
                    "measure": "quantity",
                    "limit": "100000",
                },
            ]
        },
    )

    metric_code: Any = Field(None, description="the metric a usage line of the contract measures")
    line_key: Any = Field(None, description="one usage line; none: every line of the metric")
    measure: Any = Field(
        None, description="amount (default: a spending limit) or quantity (an included quota)"
    )
    limit: Any = Field(None, description='a positive decimal string, e.g. "1000.00"')
    levels: Any = Field(None, description="increasing percentages of the limit, 1 to 1000")

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class AlertEdit(StrictModel):
    """The fields of an alert to change; the others keep their value. Each bad field is
    refused by name, an unknown one too."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"limit": "1200.00", "levels": [50, 80, 100]},
                {"line_key": "api-calls"},
                {"line_key": None},
            ]
        },
    )

    line_key: Any = Field(None, description="one usage line of the metric; null: every line")
    limit: Any = Field(None, description='a positive decimal string, e.g. "1200.00"')
    levels: Any = Field(None, description="increasing percentages of the limit, 1 to 1000")
    metric_code: Any = Field(None, description="fixed: refused when it differs")
    measure: Any = Field(None, description="fixed: refused when it differs")

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class AlertRead(BaseModel):
    id: str
    contract_id: str
    metric_code: str
    line_key: str | None
    measure: str
    limit: DecimalString
    levels: list[int]
    thresholds: list[DecimalString] = Field(description="limit × level / 100, for each level")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: UsageAlert) -> AlertRead:
        levels = list(row.levels)
        return cls(
            id=row.id,
            contract_id=row.contract_id,
            metric_code=row.metric_code,
            line_key=row.line_key,
            measure=row.measure,
            limit=row.limit,
            levels=levels,
            thresholds=[threshold(Decimal(row.limit), level) for level in levels],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class FiringRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    alert_id: str
    contract_id: str
    period_start: date
    period_end: date = Field(description="exclusive: the first day after the period")
    level: int
    value: DecimalString
    fired_at: datetime

    @classmethod
    def of(cls, row: UsageAlertFiring) -> FiringRead:
        return cls.model_validate(row)
