"""What the clock brings about, as of a date: the billing run's (or `tarif amendments apply-due`).

For every running contract, in this order: scheduled amendments whose date is reached are
applied, a pending contract whose activation condition is met activates, auto-renewals reached
are recorded, and a contract whose end date is reached is terminated. Never reads wall time:
everything is decided as of the date passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select

from tarif.audit.service import record, snapshot
from tarif.context import Ctx
from tarif.contracts import service_store as store
from tarif.contracts.amendments import AmendmentStatus
from tarif.contracts.amendments import ContractVersion as CoreVersion
from tarif.contracts.changes import Terminate
from tarif.contracts.dates import last_day
from tarif.contracts.lifecycle import Action
from tarif.contracts.model import RUNNING_STATUSES, ContractStatus
from tarif.contracts.models import Contract, ContractAmendment
from tarif.contracts.service_amendments import apply_due_amendments
from tarif.contracts.service_lifecycle import activate_when_due, apply_step
from tarif.contracts.term import renewal_dates
from tarif.db.among import among, dialect_of
from tarif.tenancy.rules import Permission

CHUNK = 2000  # contracts whose versions are read with one query


@dataclass
class DueSummary:
    as_of: date
    amendments_applied: list[str] = field(default_factory=list)  # "C-1: amd_…"
    renewals: list[str] = field(default_factory=list)  # "C-1: 2027-01-01"
    activated: list[str] = field(default_factory=list)  # references
    terminated: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"as of {self.as_of.isoformat()}: {len(self.amendments_applied)} amendment(s) "
            f"applied, {len(self.renewals)} renewal(s), {len(self.activated)} activated, "
            f"{len(self.terminated)} terminated"
        )


def apply_due(
    ctx: Ctx, *, as_of: date, progress: Callable[[int, int], None] | None = None
) -> DueSummary:
    """Brings every running contract up to `as_of`; `progress(done, total)` after each one."""
    ctx.require(Permission.WRITE_BILLING)
    summary = DueSummary(as_of)
    heads = _running(ctx)
    done = 0
    for start in range(0, len(heads), CHUNK):
        chunk = heads[start : start + CHUNK]
        # Versions read per chunk tell which contracts the date changes anything for; only
        # those are loaded (as ORM objects) and brought up to it (most of a month's run has
        # nothing to do).
        versions = store.versions_by_contract(ctx, [c.id for c in chunk])
        rows = _due_amendment_rows(ctx, versions, as_of)
        changing = _loaded(
            ctx, [h.id for h in chunk if _may_change(h, versions.get(h.id, []), as_of)]
        )
        for head in chunk:
            contract_versions = versions.get(head.id, [])
            contract = changing.get(head.id)
            if contract is None:
                # Nothing reached (most contracts on most days): the versions read are the
                # ones a billing run's drafts read next, kept for them.
                store.keep_versions(ctx, head.id, contract_versions)
            elif _amendments_only(contract, contract_versions, as_of):
                # What `_bring_up_to` would do, from what the chunk already read.
                applied = apply_due_amendments(
                    ctx, contract, as_of, versions=contract_versions, rows=rows, flush=False
                )
                for row in applied:
                    summary.amendments_applied.append(f"{contract.reference}: {row.id}")
            else:
                _bring_up_to(ctx, contract, as_of, summary)
            done += 1
            if progress is not None:
                progress(done, len(heads))
        ctx.session.flush()  # the chunk's applied amendments, batched
    return summary


class _State(Protocol):
    """What tells whether the date changes anything for a contract (a row or the contract)."""

    id: str
    status: str
    last_renewed_on: date | None


def _running(ctx: Ctx) -> list[Any]:
    """The running contracts' ids and states, in id order (plain rows: most are not touched)."""
    stmt = select(Contract.id, Contract.status, Contract.last_renewed_on).where(
        Contract.organization_id == ctx.organization_id,
        Contract.status.in_([s.value for s in RUNNING_STATUSES]),
    )
    return list(ctx.session.execute(stmt.order_by(Contract.id)))


def _loaded(ctx: Ctx, ids: list[str]) -> dict[str, Contract]:
    if not ids:
        return {}
    stmt = select(Contract).where(
        store.of_tenant(Contract.organization_id, ctx.organization_id),
        among(Contract.id, ids, dialect_of(ctx.session)),
    )
    return {contract.id: contract for contract in ctx.session.scalars(stmt)}


def _due_amendment_rows(
    ctx: Ctx, versions: dict[str, list[CoreVersion]], as_of: date
) -> dict[str, ContractAmendment]:
    """The rows of the scheduled amendments reached by `as_of`, in one query."""
    ids = [
        v.amendment.id
        for contract_versions in versions.values()
        for v in contract_versions
        if v.amendment is not None
        and v.amendment.status is AmendmentStatus.SCHEDULED
        and v.amendment.effective_date <= as_of
    ]
    if not ids:
        return {}
    stmt = select(ContractAmendment).where(
        store.of_tenant(ContractAmendment.organization_id, ctx.organization_id),
        among(ContractAmendment.id, ids, dialect_of(ctx.session)),
    )
    return {row.id: row for row in ctx.session.scalars(stmt)}


def _amendments_only(contract: Contract, versions: list[CoreVersion], as_of: date) -> bool:
    """True when reaching `as_of` only applies amendments: a running contract with no renewal
    and no end reached (applying an amendment changes neither: the terms stay the same)."""
    running = (ContractStatus.ACTIVE.value, ContractStatus.SUSPENDED.value)
    if not versions or contract.status not in running:
        return False
    after = contract.last_renewed_on or versions[0].terms.start_date
    if _renewals(versions, after, as_of):
        return False
    end = store.version_on(versions, as_of).terms.end_date
    return end is None or end > as_of


def _may_change(contract: _State, versions: list[CoreVersion], as_of: date) -> bool:
    """False only when `_bring_up_to` would change nothing: no scheduled amendment reached, not
    pending, no renewal reached and no end reached."""
    if not versions or contract.status == ContractStatus.PENDING.value:
        return True
    for version in versions:
        amendment = version.amendment
        if (
            amendment is not None
            and amendment.status is AmendmentStatus.SCHEDULED
            and amendment.effective_date <= as_of
        ):
            return True
    if contract.status in (ContractStatus.ACTIVE.value, ContractStatus.SUSPENDED.value):
        after = contract.last_renewed_on or versions[0].terms.start_date
        if _renewals(versions, after, as_of):
            return True
    end = store.version_on(versions, as_of).terms.end_date
    return end is not None and end <= as_of


def _bring_up_to(ctx: Ctx, contract: Contract, as_of: date, summary: DueSummary) -> None:
    for row in apply_due_amendments(ctx, contract, as_of):
        summary.amendments_applied.append(f"{contract.reference}: {row.id}")
    if activate_when_due(ctx, contract, as_of):
        summary.activated.append(contract.reference)
    versions = store.versions_of(ctx, contract)
    if contract.status in (ContractStatus.ACTIVE.value, ContractStatus.SUSPENDED.value):
        for day in _record_renewals(ctx, contract, versions, as_of):
            summary.renewals.append(f"{contract.reference}: {day.isoformat()}")
    if _terminate_when_ended(ctx, contract, versions, as_of):
        summary.terminated.append(contract.reference)


def _renewals(versions: list[CoreVersion], after: date, until: date) -> list[date]:
    """Renewal days in `(after, until]`, each read from the version in force on that day."""
    days: list[date] = []
    for index, version in enumerate(versions):
        next_from = versions[index + 1].effective_from if index + 1 < len(versions) else None
        window_end = until if next_from is None else min(until, last_day(next_from))
        window_start = max(after, last_day(version.effective_from))
        if window_end > window_start:
            days += renewal_dates(version.terms, window_start, window_end)
    return sorted(set(days))


def _record_renewals(
    ctx: Ctx, contract: Contract, versions: list[CoreVersion], as_of: date
) -> list[date]:
    after = contract.last_renewed_on or versions[0].terms.start_date
    days = _renewals(versions, after, as_of)
    if not days:
        return []
    before = snapshot(contract)
    contract.renewal_count += len(days)
    contract.last_renewed_on = days[-1]
    contract.updated_at = ctx.clock.now()
    ctx.session.flush()
    after_snapshot = snapshot(contract) | {"renewed_on": [d.isoformat() for d in days]}
    record(ctx, "renew", "contract", contract.id, before, after_snapshot)
    return days


def _terminate_when_ended(
    ctx: Ctx, contract: Contract, versions: list[CoreVersion], as_of: date
) -> bool:
    if contract.status not in {s.value for s in RUNNING_STATUSES}:
        return False
    terms = store.version_on(versions, as_of).terms
    if terms.end_date is None or terms.end_date > as_of:
        return False
    # The terminating amendment, when there is one, says who decided it and why.
    decided = next(
        (
            v.amendment
            for v in versions
            if v.amendment is not None
            and v.effective_from == terms.end_date
            and any(isinstance(c, Terminate) for c in v.amendment.changes)
        ),
        None,
    )
    rows = {row.id: row for row in store.amendment_rows(ctx, contract.id)}
    lifecycle = store.lifecycle_of(ctx, contract)
    on = max([terms.end_date, *(t.on for t in lifecycle.transitions)])
    step = lifecycle.apply(
        Action.TERMINATE,
        on=on,
        actor=decided.author if decided else ctx.actor.label,
        reason=decided.reason if decided else "end date reached",
        forced=rows[decided.id].notice_overridden if decided else False,
    )
    apply_step(ctx, contract, step, audit_action="terminated")
    return True
