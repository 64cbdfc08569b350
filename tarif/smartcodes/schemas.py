"""Request and response shapes of SmartCodes (API bodies and the CLI's `--json`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from tarif.api.schemas import DecimalString, StrictModel
from tarif.smartcodes.contract_run import (
    MAX_SHOWN,
    ContractRun,
    plain_properties,
    shown_rows,
)
from tarif.smartcodes.failures import LimitExceeded, MacroFailed, ResultRefused
from tarif.smartcodes.models import SmartCode, SmartCodeVersion
from tarif.smartcodes.policy import MAX_SOURCE, Kind
from tarif.smartcodes.rules import CODE_PATTERN, MAX_DRY_RUN_EVENTS
from tarif.smartcodes.runner import EventFailure
from tarif.smartcodes.service import DryRun

EXAMPLE_SOURCE = (
    "import math\n\n\ndef value(event):\n"
    "    # billable minutes: every started minute counts\n"
    "    return math.ceil(event.properties['duration'] / 60)\n"
)


# A source is kept as typed: stripping would move a syntax error's line and column.
SourceText = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    Field(min_length=1, max_length=MAX_SOURCE, examples=[EXAMPLE_SOURCE]),
]


class SmartCodeCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["billable_minutes"])
    name: str | None = Field(None, max_length=200, examples=["Billable minutes"])
    kind: Kind
    source: SourceText


class VersionCreate(StrictModel):
    source: SourceText


class SourceCheck(StrictModel):
    kind: Kind
    source: SourceText


class SmartCodeRead(BaseModel):
    id: str
    object: str = "smartcode"
    code: str
    name: str
    kind: str
    latest_version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, smartcode: SmartCode) -> SmartCodeRead:
        return cls(
            id=smartcode.id,
            code=smartcode.code,
            name=smartcode.name,
            kind=smartcode.kind,
            latest_version=smartcode.latest_version,
            created_at=smartcode.created_at,
            updated_at=smartcode.updated_at,
        )


class VersionRead(BaseModel):
    id: str
    object: str = "smartcode_version"
    smartcode_id: str
    number: int
    kind: str
    source: str
    source_hash: str
    author: str
    created_at: datetime

    @classmethod
    def of(cls, version: SmartCodeVersion) -> VersionRead:
        return cls(
            id=version.id,
            smartcode_id=version.smartcode_id,
            number=version.number,
            kind=version.kind,
            source=version.source,
            source_hash=version.source_hash,
            author=version.author,
            created_at=version.created_at,
        )


class SmartCodeWithVersion(SmartCodeRead):
    version: VersionRead


# --- dry runs --------------------------------------------------------------------------------


class SampleEvent(StrictModel):
    timestamp: datetime = Field(examples=["2026-01-15T09:30:00Z"])
    properties: dict[str, Any] = Field(default_factory=dict, examples=[{"duration": 61}])
    metric: str | None = Field(None, max_length=200)
    customer: str | None = Field(None, max_length=200)


class SamplePeriod(StrictModel):
    start: date
    end: date


class SampleUsage(StrictModel):
    quantity: DecimalString
    event_count: int = Field(0, ge=0, le=10**12)
    groups: dict[str, DecimalString] = Field(default_factory=dict, examples=[{"FR": "120"}])
    period: SamplePeriod


class SampleContract(StrictModel):
    reference: str | None = Field(None, max_length=200)
    currency: str | None = Field(None, min_length=3, max_length=3, examples=["EUR"])
    terms: dict[str, Any] = Field(default_factory=dict)


class DryRunCreate(StrictModel):
    """Valuation: `events`. Pricing: `usage` (and optionally `contract`). Either kind, on a
    real contract's period: `contract_id` (id or reference), optionally `line_key`, and
    `period_start` + `period_end` (exclusive) or `as_of` (the line's period containing it);
    `limit`: valuation results shown (default 50). `version`: default the latest."""

    version: int | None = Field(None, ge=1, le=10**9)
    events: list[SampleEvent] | None = Field(None, max_length=MAX_DRY_RUN_EVENTS)
    usage: SampleUsage | None = None
    contract: SampleContract | None = None
    contract_id: str | None = Field(None, min_length=1, max_length=100, examples=["C-2026-001"])
    line_key: str | None = Field(None, min_length=1, max_length=100)
    period_start: date | None = None
    period_end: date | None = Field(None, description="The first day after the period")
    as_of: date | None = Field(None, description="The line's period containing this day")
    limit: int | None = Field(None, ge=1, le=MAX_SHOWN)

    def plain(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True, exclude={"version"})
        return {k: v for k, v in data.items() if v is not None}


class FailureRead(BaseModel):
    type: str  # macro_failed | limit_exceeded | result_refused
    message: str
    line: int | None = None
    index: int | None = None
    field: str | None = None

    @classmethod
    def of(cls, failure: MacroFailed) -> FailureRead:
        kind = "macro_failed"
        if isinstance(failure, LimitExceeded):
            kind = "limit_exceeded"
        elif isinstance(failure, ResultRefused):
            kind = "result_refused"
        return cls(
            type=kind,
            message=failure.message,
            line=failure.line,
            index=failure.index,
            field=getattr(failure, "field", None),
        )


def plain_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


class EventResultRead(BaseModel):
    index: int
    value: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    error: FailureRead | None = None


class LineRead(BaseModel):
    description: str
    quantity: str
    unit_price: str
    amount: str
    group: str | None = None


class ValuedEventRead(BaseModel):
    id: int
    occurred_at: datetime
    properties: dict[str, Any]
    stored_value: str | None
    value: str | None
    error: FailureRead | None = None


class GroupUsageRead(BaseModel):
    group: dict[str, str | None]
    quantity: str
    event_count: int


class ContractRunRead(BaseModel):
    """What a dry run on a real contract's period measured."""

    contract_id: str
    reference: str
    line_key: str
    metric: str
    aggregation: str
    period_start: date
    period_end: date  # exclusive
    charge: dict[str, Any]
    # valuation: every event of the period, the first `limit` shown in `events`
    event_count: int = 0
    failed: int = 0
    stored_total: str | None = None
    quantity: str | None = None
    events: list[ValuedEventRead] = Field(default_factory=list)
    # pricing: the usage the macro was called with, one call per group
    usages: list[GroupUsageRead] = Field(default_factory=list)

    @classmethod
    def of(cls, run: ContractRun, kind: str) -> ContractRunRead:
        events = []
        for e in run.events:
            failure = e.result.error if isinstance(e.result, EventFailure) else None
            events.append(
                ValuedEventRead(
                    id=e.id,
                    occurred_at=e.occurred_at,
                    properties=plain_properties(e.properties),
                    stored_value=None if e.stored_value is None else format(e.stored_value, "f"),
                    value=None if failure else format(e.result.value, "f"),  # type: ignore[union-attr]
                    error=FailureRead.of(failure) if failure else None,
                )
            )
        valuation = kind == "valuation"
        return cls(
            contract_id=run.contract.id,
            reference=run.contract.reference,
            line_key=run.line_key,
            metric=run.metric_code,
            aggregation=run.aggregation.value,
            period_start=run.period.start,
            period_end=run.period.end,
            charge=run.charge.to_json(),
            event_count=run.event_count if valuation else sum(u.event_count for u in run.usages),
            failed=run.failed,
            stored_total=format(run.stored_total, "f") if valuation else None,
            quantity=None if run.quantity is None else format(run.quantity, "f"),
            events=events,
            usages=[GroupUsageRead(**row) for row in shown_rows(run.usages)],
        )


class DryRunRead(BaseModel):
    object: str = "smartcode_dry_run"
    smartcode_id: str
    code: str
    kind: str
    version: int
    results: list[EventResultRead] = Field(default_factory=list)
    lines: list[LineRead] = Field(default_factory=list)
    total: str
    error: FailureRead | None = None
    contract: ContractRunRead | None = None

    @classmethod
    def of(cls, run: DryRun) -> DryRunRead:
        results = []
        for index, item in enumerate(run.valuations):
            if isinstance(item, EventFailure):
                results.append(EventResultRead(index=index, error=FailureRead.of(item.error)))
            else:
                fields = {k: plain_value(v) for k, v in item.fields.items()}
                results.append(
                    EventResultRead(index=index, value=format(item.value, "f"), fields=fields)
                )
        lines = [
            LineRead(
                description=line.description,
                quantity=format(line.quantity, "f"),
                unit_price=format(line.unit_price, "f"),
                amount=format(line.amount, "f"),
                group=line.group,
            )
            for line in run.lines
        ]
        return cls(
            smartcode_id=run.smartcode.id,
            code=run.smartcode.code,
            kind=run.smartcode.kind,
            version=run.version.number,
            results=results,
            lines=lines,
            total=format(run.total, "f"),
            error=FailureRead.of(run.error) if run.error else None,
            contract=None
            if run.contract is None
            else ContractRunRead.of(run.contract, run.smartcode.kind),
        )


class ProblemRead(BaseModel):
    line: int
    column: int
    message: str


class CheckRead(BaseModel):
    object: str = "smartcode_check"
    valid: bool
    problems: list[ProblemRead]
