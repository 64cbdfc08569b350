"""Amendments: created as drafts, scheduled (or applied at once when due), cancelled before
their date. The core decides every step (`confirm`, `amend`, `cancel`, `refuse_conflicts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from tarif.audit.service import record, snapshot
from tarif.context import Ctx
from tarif.contracts import facts
from tarif.contracts import service_catalog as cat
from tarif.contracts import service_store as store
from tarif.contracts.amendments import (
    Amendment,
    AmendmentStatus,
    ContractVersion,
    amend,
    amendment_problems,
    apply_due,
    cancel,
    confirm,
)
from tarif.contracts.changes import AddLine, AmendmentRefused, ChangeTerm
from tarif.contracts.conflicts import refuse_conflicts
from tarif.contracts.diff import diff
from tarif.contracts.model import ContractStatus, ContractTerms
from tarif.contracts.models import Contract, ContractAmendment
from tarif.contracts.rules import raise_if_any
from tarif.contracts.schemas import AmendmentCreate
from tarif.contracts.service_inputs import (
    Problems,
    as_input_fields,
    changes_of,
    without_consequences,
)
from tarif.contracts.service_lifecycle import last_invoiced_date, store_amendment
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import Conflict, FieldError, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.tenancy.rules import Permission

AMENDABLE = (ContractStatus.PENDING, ContractStatus.ACTIVE, ContractStatus.SUSPENDED)


@dataclass(frozen=True)
class AmendmentView:
    row: ContractAmendment
    amendment: Amendment
    diff: list[str]  # what it changes (for a draft: what it would change if scheduled now)


def _amendable(ctx: Ctx, contract_id: str) -> Contract:
    contract = store.load_contract(ctx, contract_id, for_update=True)
    status = store.status_of(contract)
    if status is ContractStatus.DRAFT:
        raise Conflict(
            f"contract {contract.reference} is a draft: edit it in place, amendments start "
            "once it is submitted"
        )
    if status not in AMENDABLE:
        raise Conflict(f"contract {contract.reference} is {status.value}: it cannot be amended")
    return contract


def get_amendment(
    ctx: Ctx, amendment_id: str, *, contract_id: str | None = None
) -> ContractAmendment:
    if not store.searchable(amendment_id):
        raise NotFound(f"amendment '{amendment_id}' not found")
    row: ContractAmendment = get_scoped(
        ctx.session, ContractAmendment, ctx.organization_id, amendment_id
    )
    if contract_id is not None and row.contract_id != contract_id:
        raise NotFound(f"amendment '{amendment_id}' not found")
    return row


def list_amendments(
    ctx: Ctx,
    page: PageRequest,
    *,
    contract_id: str | None = None,
    status: AmendmentStatus | None = None,
) -> Page[ContractAmendment]:
    """Amendments in id (creation) order; `q` searches the reason."""
    stmt = scoped(ContractAmendment, ctx.organization_id)
    if contract_id is not None:
        stmt = stmt.where(ContractAmendment.contract_id == store.load_contract(ctx, contract_id).id)
    if status is not None:
        stmt = stmt.where(ContractAmendment.status == status.value)
    if page.q is not None and not store.searchable(page.q):
        raise InvalidInput.on("q", "must not contain NUL characters")
    return paginate(
        ctx.session,
        stmt,
        ContractAmendment,
        page,
        (ContractAmendment.reason,),
        updated_column=ContractAmendment.created_at,
    )


def _view(ctx: Ctx, row: ContractAmendment, contract: Contract) -> AmendmentView:
    amendment = store.to_amendment(row)
    versions = store.versions_of(ctx, contract)
    for index, version in enumerate(versions):
        if version.amendment is not None and version.amendment.id == row.id and index:
            return AmendmentView(
                row, amendment, _diff(ctx, versions[index - 1].terms, version.terms)
            )
    if amendment.status is AmendmentStatus.DRAFT:
        try:
            trial = amend(versions, replace(amendment, status=AmendmentStatus.SCHEDULED))
        except (AmendmentRefused, Conflict):
            return AmendmentView(row, amendment, [])
        for index, version in enumerate(trial):
            if version.amendment is not None and version.amendment.id == row.id:
                return AmendmentView(
                    row, amendment, _diff(ctx, trial[index - 1].terms, version.terms)
                )
    return AmendmentView(row, amendment, [])


def _diff(ctx: Ctx, old: ContractTerms, new: ContractTerms) -> list[str]:
    return diff(old, new, product_codes=cat.product_codes(ctx, [new]))


def amendment_view(ctx: Ctx, amendment_id: str, *, contract_id: str | None = None) -> AmendmentView:
    row = get_amendment(ctx, amendment_id, contract_id=contract_id)
    return _view(ctx, row, store.load_contract(ctx, row.contract_id))


def amendment_history(ctx: Ctx, contract_id: str) -> list[AmendmentView]:
    """Every amendment of the contract in creation order, each with its readable diff."""
    contract = store.load_contract(ctx, contract_id)
    return [_view(ctx, row, contract) for row in store.amendment_rows(ctx, contract.id)]


def create_amendment(ctx: Ctx, contract_id: str, *, data: AmendmentCreate) -> ContractAmendment:
    """A draft amendment, checked against the contract now (scheduled at once with
    `schedule=True`). Its prices come from the pricelist on the effective date unless given."""
    ctx.require(Permission.WRITE_BILLING)
    contract = _amendable(ctx, contract_id)
    versions = store.versions_of(ctx, contract)
    terms = store.version_on(versions, data.effective_date).terms
    problems = Problems()
    changes, _added = changes_of(
        ctx, data.changes, terms=terms, effective=data.effective_date, problems=problems
    )
    amendment = Amendment(
        id=new_id("amd"),
        sequence=contract.amendment_sequence + 1,
        effective_date=data.effective_date,
        reason=data.reason,
        author=ctx.actor.label,
        changes=changes,
        signed_document=data.signed_document_ref or None,
    )
    candidate = replace(amendment, status=AmendmentStatus.SCHEDULED)
    input_problems = problems.errors + amendment_problems(amendment)
    input_problems += _invoiced_problems(ctx, contract, amendment)
    if not input_problems:
        # Named before any replay: a conflict reads better than what replaying it would break.
        scheduled = [store.to_amendment(r) for r in store.scheduled_rows(ctx, contract.id)]
        refuse_conflicts(candidate, scheduled)
    core_problems = _replay_problems(versions, candidate, input_ok=not input_problems)
    product_problems = _product_problems(ctx, terms, amendment)
    problems_found = _first_per_field(input_problems, core_problems, product_problems)
    problems_found = as_input_fields(without_consequences(problems_found))
    raise_if_any(problems_found, "The amendment is not valid")
    row = store_amendment(ctx, contract, amendment)
    if data.schedule:
        schedule_amendment(ctx, row.id)
    return row


def _replay_problems(
    versions: list[ContractVersion], candidate: Amendment, *, input_ok: bool
) -> list[FieldError]:
    """The core's problems with the amendment, checked even when the input has some so that
    one call names them all; a refusal as a whole (409: applied history) waits for good input."""
    try:
        amend(versions, candidate)
    except AmendmentRefused as refused:
        return refused.errors
    except Conflict:
        if input_ok:
            raise
    return []


def _product_problems(ctx: Ctx, terms: ContractTerms, amendment: Amendment) -> list[FieldError]:
    """Added lines on a product unknown here, archived or of another kind, at their change."""
    added = [c.line for c in amendment.changes if isinstance(c, AddLine)]
    known = {line.line_key for line in terms.lines}
    with_added = replace(
        terms, lines=(*terms.lines, *(x for x in added if x.line_key not in known))
    )
    problems = cat.line_product_problems(ctx, with_added, {line.line_key for line in added})
    return _at_changes(problems, with_added, amendment)


def _first_per_field(*groups: list[FieldError]) -> list[FieldError]:
    """Every problem once: a later one about a field already named (or a field inside or
    around it, such as `changes.0` beside `changes.0.periodicity`) is the same problem seen
    from another side, e.g. the core missing the periodicity the input could not read."""
    kept: list[FieldError] = []
    for problem in (p for group in groups for p in group):
        if not any(_related(problem.field, k.field) for k in kept):
            kept.append(problem)
    return kept


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(f"{b}.") or b.startswith(f"{a}.")


def _at_changes(
    problems: list[FieldError], terms: ContractTerms, amendment: Amendment
) -> list[FieldError]:
    """Problems of added lines named where the line was given (`changes.0.line.product_id`)."""
    change_of_key = {
        change.line.line_key: index
        for index, change in enumerate(amendment.changes)
        if isinstance(change, AddLine)
    }
    result = []
    for problem in problems:
        parts = problem.field.split(".")
        if parts[0] == "lines" and len(parts) > 2:
            key = terms.lines[int(parts[1])].line_key
            if key in change_of_key:
                rest = ".".join(parts[2:])
                problem = FieldError(f"changes.{change_of_key[key]}.line.{rest}", problem.message)
        result.append(problem)
    return result


def _invoiced_problems(ctx: Ctx, contract: Contract, amendment: Amendment) -> list[FieldError]:
    invoiced = last_invoiced_date(ctx, contract.id)
    problems = []
    for index, change in enumerate(amendment.changes):
        if isinstance(change, ChangeTerm) and change.end_date is not None:
            problem = facts.invoiced_termination_problem(
                change.end_date, invoiced, with_credit=False
            )
            if problem is not None:
                problems.append(FieldError(f"changes.{index}.end_date", problem.message))
    return problems


def schedule_amendment(ctx: Ctx, amendment_id: str) -> ContractAmendment:
    """Confirms a draft: applied when its date is reached, else scheduled. Refused when it
    conflicts with a scheduled one (naming both) or would rewrite applied history."""
    ctx.require(Permission.WRITE_BILLING)
    row = get_amendment(ctx, amendment_id)
    contract = _amendable(ctx, row.contract_id)
    confirmed = confirm(store.to_amendment(row), store.today(ctx))
    scheduled = [store.to_amendment(r) for r in store.scheduled_rows(ctx, contract.id)]
    refuse_conflicts(confirmed, scheduled)
    versions = amend(store.versions_of(ctx, contract), confirmed)
    before = snapshot(row)
    store.set_amendment_status(ctx, row, confirmed.status)
    ctx.session.flush()
    store.save_versions(ctx, contract, versions)
    record(ctx, confirmed.status.value, "contract_amendment", row.id, before, snapshot(row))
    return row


def cancel_amendment(ctx: Ctx, amendment_id: str) -> ContractAmendment:
    """Cancels a draft, or a scheduled amendment whose date is not reached yet."""
    ctx.require(Permission.WRITE_BILLING)
    row = get_amendment(ctx, amendment_id)
    contract = store.load_contract(ctx, row.contract_id, for_update=True)
    before = snapshot(row)
    if row.status == AmendmentStatus.DRAFT.value:
        store.set_amendment_status(ctx, row, AmendmentStatus.CANCELLED)
    else:
        versions, _cancelled = cancel(store.versions_of(ctx, contract), row.id, store.today(ctx))
        store.set_amendment_status(ctx, row, AmendmentStatus.CANCELLED)
        ctx.session.flush()
        store.save_versions(ctx, contract, versions)
    ctx.session.flush()
    record(ctx, "cancel", "contract_amendment", row.id, before, snapshot(row))
    return row


def apply_due_amendments(
    ctx: Ctx,
    contract: Contract,
    as_of: date,
    *,
    versions: list[ContractVersion] | None = None,
    rows: Mapping[str, ContractAmendment] | None = None,
    flush: bool = True,
) -> list[ContractAmendment]:
    """Marks the contract's scheduled amendments whose date is reached as applied.

    `versions` and `rows` (scheduled amendment rows by id) are what a caller bringing many
    contracts up to a date already read for a whole chunk; read here when not given. Such a
    caller may also flush once for the chunk (`flush=False`): the session then writes the
    chunk's status changes and audit records in a few batched statements."""
    if versions is None:
        versions = store.versions_of(ctx, contract)
    _versions, applied = apply_due(versions, as_of)
    if rows is None:
        rows = {row.id: row for row in store.scheduled_rows(ctx, contract.id)}
    done = []
    for amendment in applied:
        row = rows[amendment.id]
        before = snapshot(row)
        store.set_amendment_status(ctx, row, AmendmentStatus.APPLIED)
        record(ctx, "apply", "contract_amendment", row.id, before, snapshot(row))
        done.append(row)
    if flush:
        ctx.session.flush()
    return done
