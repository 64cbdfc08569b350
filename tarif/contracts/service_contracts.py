"""Contracts: creation, draft edits in place, and reads (as of a day, versions with diffs)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError

from tarif.audit.service import record, snapshot
from tarif.context import Ctx
from tarif.contracts import service_catalog as cat
from tarif.contracts import service_store as store
from tarif.contracts.amendments import Amendment
from tarif.contracts.amendments import ContractVersion as CoreVersion
from tarif.contracts.codec import encode_terms
from tarif.contracts.diff import diff
from tarif.contracts.lifecycle import Action, allowed_actions
from tarif.contracts.model import (
    RUNNING_STATUSES,
    ContractLine,
    ContractStatus,
    ContractTerms,
    LinePriceSource,
    NoticePeriod,
    RenewalPolicy,
    metadata_of,
)
from tarif.contracts.models import Contract, ContractTransition
from tarif.contracts.rules import raise_if_any, validate_terms
from tarif.contracts.schemas import ContractCreate, ContractUpdate, LineInput, LineUpdate
from tarif.contracts.service_inputs import (
    PriceContext,
    Problems,
    activation_of,
    as_input_fields,
    charge_of,
    commitment_of,
    discount_of,
    end_of,
    fee_of,
    line_of,
    periodicity_of,
    reprice,
    terms_of,
    without_consequences,
)
from tarif.contracts.term import TermState, notice_deadline, term_as_of
from tarif.customers.models import Customer
from tarif.db.repository import Page, PageRequest, paginate, scoped
from tarif.errors import Conflict, FieldError, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.pricing.spec import ChargeSpec
from tarif.tenancy.rules import Permission

OPEN = (ContractStatus.PENDING, ContractStatus.ACTIVE, ContractStatus.SUSPENDED)


# --- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractView:
    """A contract as it stood on `as_of`: the version in force then and what follows from it."""

    contract: Contract
    as_of: date
    version: CoreVersion
    status_as_of: ContractStatus
    term: TermState
    notice_deadline: date | None  # last day to give notice for the current term end
    allowed_actions: list[Action]
    scheduled: list[Amendment]
    transitions: list[ContractTransition]

    @property
    def terms(self) -> ContractTerms:
        return self.version.terms

    @property
    def editable(self) -> bool:
        return self.contract.status == ContractStatus.DRAFT.value


@dataclass(frozen=True)
class VersionView:
    number: int
    effective_from: date
    terms: ContractTerms
    amendment: Amendment | None
    projected: bool
    changes: list[str]  # readable diff from the previous version


def get_contract(ctx: Ctx, contract_id: str) -> Contract:
    return store.load_contract(ctx, contract_id)


def find_contract(ctx: Ctx, id_or_reference: str) -> Contract:
    """By id, else by reference: people type references, scripts pass ids."""
    try:
        return store.load_contract(ctx, id_or_reference)
    except NotFound:
        stmt = scoped(Contract, ctx.organization_id).where(
            Contract.reference == id_or_reference.strip()
        )
        found = ctx.session.scalars(stmt).first() if store.searchable(id_or_reference) else None
        if found is None:
            raise NotFound(f"contract '{id_or_reference}' not found") from None
        return found


def show_contract(ctx: Ctx, contract_id: str, *, as_of: date | None = None) -> ContractView:
    """The contract as it stood on `as_of` (default: today)."""
    contract = store.load_contract(ctx, contract_id)
    day = as_of or store.today(ctx)
    versions = store.versions_of(ctx, contract)
    version = store.version_on(versions, day)
    lifecycle = store.lifecycle_of(ctx, contract)
    term = term_as_of(version.terms, day)
    deadline = notice_deadline(term.end, version.terms.notice) if term.end else None
    status = store.status_of(contract)
    return ContractView(
        contract=contract,
        as_of=day,
        version=version,
        status_as_of=_status_on(lifecycle.status_on(day), version.terms.end_date, day)
        if as_of is not None
        else status,
        term=term,
        notice_deadline=deadline,
        allowed_actions=allowed_actions(status),
        scheduled=[v.amendment for v in versions if v.projected and v.amendment],
        transitions=store.transition_rows(ctx, contract.id),
    )


def _status_on(recorded: ContractStatus, end: date | None, day: date) -> ContractStatus:
    """The status at the end of `day`: the transitions recorded by then, and past an end date
    (a scheduled termination, a fixed term) terminated, as the due run will record it on that
    date (`service_due`), so reading a contract as of a later day shows how it will stand."""
    if end is not None and end <= day and recorded in RUNNING_STATUSES:
        return ContractStatus.TERMINATED
    return recorded


def contract_versions(ctx: Ctx, contract_id: str) -> list[VersionView]:
    """Every version with a readable diff of each step."""
    contract = store.load_contract(ctx, contract_id)
    versions = store.versions_of(ctx, contract)
    codes = cat.product_codes(ctx, (v.terms for v in versions))
    return [
        VersionView(
            number=v.number,
            effective_from=v.effective_from,
            terms=v.terms,
            amendment=v.amendment,
            projected=v.projected,
            changes=diff(versions[i - 1].terms, v.terms, product_codes=codes) if i else [],
        )
        for i, v in enumerate(versions)
    ]


def contract_lines(ctx: Ctx, contract_id: str, *, as_of: date | None = None) -> list[ContractLine]:
    return list(show_contract(ctx, contract_id, as_of=as_of).terms.lines)


def contract_transitions(ctx: Ctx, contract_id: str) -> list[ContractTransition]:
    return store.transition_rows(ctx, store.load_contract(ctx, contract_id).id)


def list_contracts(
    ctx: Ctx,
    page: PageRequest,
    *,
    status: ContractStatus | None = None,
    customer_id: str | None = None,
    renewal_due_before: date | None = None,
) -> Page[Contract]:
    """Contracts in id (creation) order; `q` searches the reference. `renewal_due_before`
    keeps contracts still running whose current term ends before that day."""
    for name, value in (("q", page.q), ("customer_id", customer_id)):
        if value is not None and not store.searchable(value):
            raise InvalidInput.on(name, "must not contain NUL characters")
    stmt = scoped(Contract, ctx.organization_id)
    if status is not None:
        stmt = stmt.where(Contract.status == status.value)
    if customer_id is not None:
        stmt = stmt.where(Contract.customer_id == customer_id)
    if renewal_due_before is None:
        return paginate(ctx.session, stmt, Contract, page, (Contract.reference,))
    stmt = stmt.where(Contract.status.in_([s.value for s in OPEN]))
    return _renewal_page(ctx, stmt, page, renewal_due_before)


def _renewal_page(ctx: Ctx, stmt: Any, page: PageRequest, before: date) -> Page[Contract]:
    # The current term is computed from the terms, so the filter runs here, page by page.
    day = store.today(ctx)
    found: list[Contract] = []
    cursor = page.starting_after
    limit = max(1, min(page.limit, 100))
    while len(found) <= limit:
        batch = paginate(
            ctx.session,
            stmt,
            Contract,
            replace(page, limit=100, starting_after=cursor),
            (Contract.reference,),
        )
        for contract in batch.items:
            versions = store.versions_of(ctx, contract)
            end = term_as_of(store.version_on(versions, day).terms, day).end
            if end is not None and end < before:
                found.append(contract)
        if not batch.has_more or not batch.items:
            break
        cursor = batch.items[-1].id
    return Page(items=found[:limit], has_more=len(found) > limit)


# --- creation ----------------------------------------------------------------------------------


def validate_new(
    ctx: Ctx,
    terms: ContractTerms,
    customer: Customer | None,
    problems: list[FieldError],
    *,
    contract_id: str | None,
    line_keys: set[str] | None = None,
) -> None:
    """The core's rules and the facts of the database, every problem at once. `line_keys`
    are the new or changed lines, whose product must not be archived (default: all)."""
    if line_keys is None:
        line_keys = {line.line_key for line in terms.lines}
    problems = problems + validate_terms(terms)
    problems += cat.header_problems(ctx, terms, customer, contract_id)
    problems += [
        p
        for p in cat.line_product_problems(ctx, terms, line_keys)
        if p.field not in {q.field for q in problems}
    ]
    raise_if_any(as_input_fields(without_consequences(problems)), "The contract is not valid")


def store_new_contract(
    ctx: Ctx, terms: ContractTerms, *, template_version_id: str | None = None
) -> Contract:
    """Saves checked terms as a new draft: the row and version 1."""
    now = ctx.clock.now()
    contract = Contract(
        id=new_id("ctr"),
        organization_id=ctx.organization_id,
        status=ContractStatus.DRAFT.value,
        template_version_id=template_version_id,
        renewal_count=0,
        amendment_sequence=0,
        created_at=now,
        updated_at=now,
    )
    store.mirror_header(contract, terms)
    contract.signed_on = terms.signed_on
    ctx.session.add(contract)
    try:
        ctx.session.flush()
    except IntegrityError as exc:
        # Two concurrent creations with one reference: the unique constraint decides.
        if "reference" not in str(exc.orig):
            raise
        raise Conflict(
            f"reference '{terms.reference}' was just taken by a concurrent request",
            [FieldError("reference", "already used by another contract")],
        ) from exc
    store.add_version_row(ctx, contract, CoreVersion(1, terms.start_date, terms))
    ctx.session.flush()
    record(ctx, "create", "contract", contract.id, after=snapshot(contract) | _terms_of(terms))
    return contract


def _terms_of(terms: ContractTerms) -> dict[str, Any]:
    return {"terms": encode_terms(terms)}


def create_contract(ctx: Ctx, *, data: ContractCreate) -> Contract:
    """A draft contract (version 1). Currency and pricelist default to the customer's; each
    line's price comes from the pricelist at its start unless overridden."""
    ctx.require(Permission.WRITE_BILLING)
    customer, problem = cat.customer_or_problem(ctx, data.customer_id)
    problems = Problems([problem] if problem else [])
    currency = (data.currency or (customer.currency if customer else "EUR")).upper()
    pricelist_id = data.pricelist_id
    if pricelist_id is None and customer is not None:
        pricelist_id = cat.default_pricelist_id(ctx, customer, currency, data.start_date)
    terms = terms_of(ctx, data, currency=currency, pricelist_id=pricelist_id, problems=problems)
    validate_new(ctx, terms, customer, problems.errors, contract_id=None)
    return store_new_contract(ctx, terms)


# --- drafts, edited in place -------------------------------------------------------------------


def ensure_draft(contract: Contract) -> None:
    """Refuses (409) a contract that is no longer a draft: the edits below check it, and a
    page checks it before offering a draft's forms or asking to confirm a deletion."""
    if contract.status != ContractStatus.DRAFT.value:
        raise Conflict(
            f"contract {contract.reference} is {contract.status}: only a draft is edited in "
            "place; change it with an amendment"
        )


def _draft(ctx: Ctx, contract_id: str) -> tuple[Contract, ContractTerms]:
    ctx.require(Permission.WRITE_BILLING)
    contract = store.load_contract(ctx, contract_id, for_update=True)
    ensure_draft(contract)
    return contract, store.original_terms(ctx, contract)


def _save_draft(
    ctx: Ctx,
    contract: Contract,
    before: ContractTerms,
    after: ContractTerms,
    problems: Problems,
    line_keys: set[str],
) -> Contract:
    customer, problem = cat.customer_or_problem(ctx, after.customer_id)
    errors = problems.errors + ([problem] if problem else [])
    validate_new(ctx, after, customer, errors, contract_id=contract.id, line_keys=line_keys)
    if after == before:
        return contract
    row_before = snapshot(contract) | _terms_of(before)
    store.replace_draft_terms(ctx, contract, after)
    contract.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(
        ctx, "update", "contract", contract.id, row_before, snapshot(contract) | _terms_of(after)
    )
    return contract


def update_contract(ctx: Ctx, contract_id: str, *, data: ContractUpdate) -> Contract:
    """Changes a draft's header (only the fields given); lines priced from the pricelist are
    priced again, since the pricelist or their start may have changed."""
    contract, terms = _draft(ctx, contract_id)
    given = data.model_fields_set
    problems = Problems()
    changes: dict[str, Any] = {}
    for name in ("customer_id", "reference", "start_date", "signed_on", "initial_term_months"):
        if name in given:
            changes[name] = getattr(data, name)
    for name in (
        "purchase_order",
        "payment_terms_days",
        "billing_alignment",
        "invoice_grouping",
        "corrections",
        "credit_on_termination",
    ):
        if name in given:
            changes[name] = getattr(data, name)
    if "currency" in given and data.currency:
        changes["currency"] = data.currency.upper()
    if "pricelist_id" in given:
        changes["pricelist_id"] = data.pricelist_id
    if "end_date" in given:
        changes["end_date"] = end_of(data.end_date)
    if "renewal_months" in given:
        changes["renewal"] = RenewalPolicy(data.renewal_months)
    if "notice_months" in given or "notice_days" in given:
        changes["notice"] = NoticePeriod(
            terms.notice.months if data.notice_months is None else data.notice_months,
            terms.notice.days if data.notice_days is None else data.notice_days,
        )
    if "activation" in given and data.activation is not None:
        changes["activation"] = activation_of(data.activation)
    if "metadata" in given:
        changes["metadata"] = metadata_of(data.metadata or {})
    if "minimum_commitment" in given:
        changes["minimum_commitment"] = commitment_of(
            data.minimum_commitment, "minimum_commitment", problems
        )
    if "early_termination_fee" in given:
        changes["early_termination_fee"] = fee_of(data.early_termination_fee)
    for required in (
        "customer_id",
        "reference",
        "start_date",
        "billing_alignment",
        "invoice_grouping",
        "corrections",
        "credit_on_termination",
    ):
        if required in changes and changes[required] is None:
            problems.add(required, "cannot be empty")
    if problems.errors:
        raise_if_any(problems.errors, "The contract is not valid")
    after = reprice(ctx, replace(terms, **changes), problems)
    _save_draft(ctx, contract, terms, after, problems, set())
    if "signed_on" in given:  # the recorded fact follows the date typed on a draft
        contract.signed_on = data.signed_on
    return contract


def _as_sent(index: int, error: InvalidInput) -> InvalidInput:
    """The error with the fields of line `index` named as its own route's body sends them
    (`quantity`, not `lines.1.quantity`): the line is the whole body there."""
    prefix = f"lines.{index}."

    def sent(name: str) -> str:
        return name.removeprefix(prefix) if name.startswith(prefix) else name

    errors = [FieldError(sent(e.field), e.message) for e in error.errors]
    detail = error.detail
    for old, new in zip(error.errors, errors, strict=True):
        detail = detail.replace(f"{old.field}: ", f"{new.field}: ")
    return InvalidInput(detail, errors)


def add_line(ctx: Ctx, contract_id: str, *, data: LineInput) -> Contract:
    contract, terms = _draft(ctx, contract_id)
    index = len(terms.lines)
    try:
        problems = Problems()
        prices = PriceContext(terms.pricelist_id, terms.currency, terms.start_date)
        line = line_of(ctx, data, f"lines.{index}", prices, problems)
        if terms.line(line.line_key) is not None:
            problems.add(
                f"lines.{index}.line_key",
                f"'{line.line_key}' is already a line of this contract",
            )
            raise_if_any(problems.errors, "The line is not valid")
        after = replace(terms, lines=(*terms.lines, line))
        return _save_draft(ctx, contract, terms, after, problems, {line.line_key})
    except InvalidInput as exc:
        raise _as_sent(index, exc) from None


def _index_of(terms: ContractTerms, line_key: str) -> int:
    for index, line in enumerate(terms.lines):
        if line.line_key == line_key:
            return index
    raise NotFound(f"the contract has no line '{line_key}'")


def update_line(ctx: Ctx, contract_id: str, line_key: str, *, data: LineUpdate) -> Contract:
    """Changes a draft's line (only the fields given); `unit_price: null` returns to the
    pricelist's price."""
    contract, terms = _draft(ctx, contract_id)
    index = _index_of(terms, line_key)
    try:
        return _update_line(ctx, contract, terms, index, data)
    except InvalidInput as exc:
        raise _as_sent(index, exc) from None


def _update_line(
    ctx: Ctx, contract: Contract, terms: ContractTerms, index: int, data: LineUpdate
) -> Contract:
    line, path, given = terms.lines[index], f"lines.{index}", data.model_fields_set
    line_key = line.line_key
    problems = Problems()
    changes: dict[str, Any] = {}
    if "quantity" in given and data.quantity is not None:
        changes["quantity"] = data.quantity
    if "description" in given and data.description is not None:
        changes["description"] = data.description
    if "start_date" in given:
        changes["start"] = data.start_date
    if "end_date" in given:
        changes["end"] = end_of(data.end_date)
    if "periodicity" in given and data.periodicity:
        changes["periodicity"] = periodicity_of(data.periodicity, f"{path}.periodicity", problems)
    if "timing" in given and data.timing is not None:
        changes["timing"] = data.timing
    if "discounts" in given:
        changes["discounts"] = tuple(discount_of(d) for d in data.discounts or [])
    if "minimum_commitment" in given:
        changes["minimum_commitment"] = commitment_of(
            data.minimum_commitment, f"{path}.minimum_commitment", problems
        )
    if "unit_price" in given:
        if data.unit_price is None:
            changes["price_source"] = LinePriceSource.PRICELIST
        else:
            changes["unit_price"] = data.unit_price
            changes["price_source"] = LinePriceSource.OVERRIDE
    if "charge" in given:
        if data.charge is None:
            changes["charge"] = _entry_charge(ctx, terms, line)
            changes["price_source"] = LinePriceSource.PRICELIST
        else:
            changes["charge"] = charge_of(data.charge, f"{path}.charge", problems)
            changes["price_source"] = LinePriceSource.OVERRIDE
    changes = {k: v for k, v in changes.items() if not (k == "periodicity" and v is None)}
    after = terms.with_line(replace(line, **changes))
    if after.lines[index].price_source is LinePriceSource.PRICELIST:
        # Priced again: the start may have moved, or the override was dropped.
        repriced = reprice(ctx, replace(after, lines=(after.lines[index],)), problems)
        after = after.with_line(repriced.lines[0])
    return _save_draft(ctx, contract, terms, after, problems, {line_key})


def _entry_charge(ctx: Ctx, terms: ContractTerms, line: ContractLine) -> ChargeSpec | None:
    found = cat.quote(
        ctx,
        pricelist_id=terms.pricelist_id,
        currency=terms.currency,
        product_id=line.product_id,
        on=terms.line_start(line),
    )
    return found.charge if found else None


def line_charge(
    ctx: Ctx, contract_id: str, line_key: str, *, on: date | None = None
) -> ChargeSpec | None:
    """The charge that prices a usage line on a day: the line's own (copied from the pricelist
    or typed), else its pricelist entry's on that day; None when neither has one."""
    terms = show_contract(ctx, contract_id, as_of=on).terms
    line = terms.line(line_key)
    if line is None:
        raise NotFound(f"the contract has no line '{line_key}'")
    return cat.line_charge_on(ctx, terms, line, on or terms.line_start(line))


def remove_line(ctx: Ctx, contract_id: str, line_key: str) -> Contract:
    contract, terms = _draft(ctx, contract_id)
    _index_of(terms, line_key)
    return _save_draft(ctx, contract, terms, terms.without_line(line_key), Problems(), set())


def delete_draft(ctx: Ctx, contract_id: str) -> None:
    """A draft that was never submitted can be deleted; anything later is kept for history."""
    contract, terms = _draft(ctx, contract_id)
    before = snapshot(contract) | _terms_of(terms)
    ctx.session.delete(contract)
    ctx.session.flush()
    record(ctx, "delete", "contract", contract_id, before=before)
