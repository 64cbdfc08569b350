"""What the contract pages show, built from the service's reads: list rows (term end, next
renewal) and the timeline that merges versions, amendments and lifecycle transitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tarif.context import Ctx
from tarif.contracts import service
from tarif.contracts.dates import last_day
from tarif.contracts.models import Contract, ContractTransition


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    customer_name: str
    start: date
    term_end: date | None  # last day of the current term
    next_renewal: date | None  # the day the next term starts, when it renews by itself


def contract_row(ctx: Ctx, contract: Contract, customer_name: str) -> ContractRow:
    view = service.show_contract(ctx, contract.id)
    end = view.term.end
    renews = view.terms.renewal.auto_renews and view.contract.status != "terminated"
    return ContractRow(
        contract=contract,
        customer_name=customer_name,
        start=view.terms.start_date,
        term_end=None if end is None else last_day(end),
        next_renewal=end if renews and end is not None else None,
    )


@dataclass(frozen=True)
class Event:
    """One step of a contract's life, as a row of its timeline."""

    day: date
    rank: int  # orders steps of the same day: versions, then amendments, then transitions
    sequence: int
    kind: str  # version | amendment | transition
    title: str
    status: str | None = None
    who: str = ""
    reason: str = ""
    changes: list[str] = field(default_factory=list)
    forced: bool = False
    amendment_id: str | None = None
    version: int | None = None
    from_status: str = ""  # of a transition
    to_status: str = ""


def timeline(
    versions: list[service.VersionView],
    history: list[service.AmendmentView],
    transitions: list[ContractTransition],
) -> list[Event]:
    """Every version (with its diff), every amendment that made none (drafts, cancelled) and
    every transition, in date order."""
    events: list[Event] = []
    in_versions = set()
    for v in versions:
        amendment = v.amendment
        if amendment is not None:
            in_versions.add(amendment.id)
        events.append(
            Event(
                day=v.effective_from,
                rank=0,
                sequence=v.number,
                kind="version",
                title="Original terms" if amendment is None else "Amendment",
                status=None if amendment is None else amendment.status.value,
                who="" if amendment is None else amendment.author,
                reason="" if amendment is None else amendment.reason,
                changes=list(v.changes),
                amendment_id=None if amendment is None else amendment.id,
                version=v.number,
            )
        )
    for view in history:
        if view.row.id in in_versions:
            continue
        events.append(
            Event(
                day=view.row.effective_date,
                rank=1,
                sequence=view.row.sequence,
                kind="amendment",
                title="Amendment",
                status=view.row.status,
                who=view.row.author,
                reason=view.row.reason,
                changes=list(view.diff),
                amendment_id=view.row.id,
            )
        )
    for index, t in enumerate(transitions):
        events.append(
            Event(
                day=t.effective_date,
                rank=2,
                sequence=index,
                kind="transition",
                title=t.action,
                status=t.to_status,
                from_status=t.from_status,
                to_status=t.to_status,
                who=t.actor,
                reason=t.reason,
                forced=t.forced,
            )
        )
    return sorted(events, key=lambda e: (e.day, e.rank, e.sequence))
