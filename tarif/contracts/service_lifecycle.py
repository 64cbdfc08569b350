"""Lifecycle use cases: submit, activate, suspend, resume, terminate, signature, first payment.

Every transition is dated (never after today: what will happen later is an amendment or an
activation condition the clock-driven run fulfils), attributed to the actor and kept.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from tarif.audit.service import record, snapshot
from tarif.catalog.periodicity import Timing
from tarif.context import Ctx
from tarif.contracts import facts
from tarif.contracts import service_catalog as cat
from tarif.contracts import service_store as store
from tarif.contracts.amendments import Amendment, amend, confirm
from tarif.contracts.amendments import ContractVersion as CoreVersion
from tarif.contracts.changes import Terminate
from tarif.contracts.codec import encode_changes
from tarif.contracts.conflicts import refuse_conflicts
from tarif.contracts.dates import last_day
from tarif.contracts.lifecycle import (
    Action,
    ActivationFacts,
    Lifecycle,
    TransitionRefused,
    automatic_activation_date,
)
from tarif.contracts.lifecycle import (
    activate as activate_lifecycle,
)
from tarif.contracts.model import ContractLine, ContractStatus, ContractTerms
from tarif.contracts.models import Contract, ContractAmendment
from tarif.contracts.rules import raise_if_any, submission_problems, validate_terms
from tarif.contracts.schemas import LineInput, TransitionCreate
from tarif.contracts.service_inputs import PriceContext, Problems, line_of
from tarif.contracts.term import TerminationMode, plan_termination
from tarif.errors import Conflict, FieldError, Forbidden, InvalidInput
from tarif.ids import new_id
from tarif.tenancy.rules import Permission, Role
from tarif.webhooks.events import contract_transition

CORE_FIELDS = {"on": "date", "termination_date": "date"}
ONLY_FOR = {
    "mode": "terminate",
    "with_credit": "terminate",
    "fee_line": "terminate",
    "waive_fee": "terminate",
    "forced": "activate and terminate",
}


def last_invoiced_date(
    ctx: Ctx, contract_id: str, line_keys: Collection[str] | None = None
) -> date | None:
    """The first day not invoiced yet of the contract (exclusive end of what was invoiced), of
    these of its lines when given.

    None while no invoice line bills the contract (or those lines).
    """
    # Imported here: invoicing builds on contracts, not the other way round.
    from tarif.invoicing.service_invoices import last_invoiced_day

    return last_invoiced_day(ctx, contract_id, line_keys)


def _credited_until(
    ctx: Ctx, contract_id: str, versions: Sequence[CoreVersion], terms: ContractTerms
) -> date | None:
    """The exclusive end of the invoiced days an end would credit: every line's, or without a
    credit on termination (the contract's setting) only the lines billed in arrears', whose
    days after the end are credited whatever the setting (the days billed in advance stay
    billed: nothing to acknowledge for them)."""
    if terms.credit_on_termination:
        return last_invoiced_date(ctx, contract_id)
    arrears = {
        line.line_key
        for version in versions
        for line in version.terms.lines
        if line.timing is Timing.IN_ARREARS
    }
    return last_invoiced_date(ctx, contract_id, arrears) if arrears else None


def _admin_only(ctx: Ctx, what: str) -> None:
    if ctx.actor.role is not Role.ADMIN:
        raise Forbidden(f"only an admin may {what}; role '{ctx.actor.role.value}' may not")


def _day(ctx: Ctx, on: date | None, field: str = "date") -> date:
    today = store.today(ctx)
    if on is not None and on > today:
        raise InvalidInput.on(
            field,
            f"{on.isoformat()} is after today ({today.isoformat()}): record it once it happens",
        )
    return on or today


def apply_step(
    ctx: Ctx,
    contract: Contract,
    step: Lifecycle,
    *,
    audit_action: str,
) -> Contract:
    before = snapshot(contract)
    store.record_transition(ctx, contract, step)
    last = step.transitions[-1]
    record(
        ctx,
        audit_action,
        "contract",
        contract.id,
        before,
        snapshot(contract)
        | {
            "transition": {
                "date": last.on.isoformat(),
                "from": last.from_status.value,
                "to": last.to_status.value,
                "forced": last.forced,
                "reason": last.reason,
            }
        },
    )
    contract_transition(ctx, contract, last.from_status.value, last.to_status.value, last.on)
    return contract


def _step(apply: object) -> Lifecycle:
    """Runs a core lifecycle step, naming the core's fields as the caller's."""
    try:
        result = apply() if callable(apply) else apply
    except InvalidInput as exc:
        raise store.renamed(exc, CORE_FIELDS) from None
    assert isinstance(result, Lifecycle)
    return result


def _facts(ctx: Ctx, contract: Contract) -> ActivationFacts:
    signed = contract.signed_on or store.original_terms(ctx, contract).signed_on
    return ActivationFacts(signed_on=signed, first_paid_on=contract.first_paid_on)


def activation_day(ctx: Ctx, contract: Contract, until: date) -> date | None:
    """The day `activate_when_due(ctx, contract, until)` would date the activation of a pending
    contract; None when it would not activate it (not pending, condition not met by then)."""
    if contract.status != ContractStatus.PENDING.value:
        return None
    lifecycle = store.lifecycle_of(ctx, contract)
    terms = store.version_on(store.versions_of(ctx, contract), until).terms
    met_on = automatic_activation_date(terms.activation, _facts(ctx, contract))
    if met_on is None or met_on > until:
        return None
    return max([met_on, *(t.on for t in lifecycle.transitions)])


def activate_when_due(ctx: Ctx, contract: Contract, until: date) -> bool:
    """Activates a pending contract whose condition (date, signature, first payment) is met by
    `until`, dated the day it was met or the last transition's if later."""
    on = activation_day(ctx, contract, until)
    if on is None:
        return False
    lifecycle = store.lifecycle_of(ctx, contract)
    terms = store.version_on(store.versions_of(ctx, contract), until).terms
    step = activate_lifecycle(
        lifecycle,
        terms.activation,
        _facts(ctx, contract),
        on=on,
        actor=ctx.actor.label,
        reason=f"activation condition met ({terms.activation})",
    )
    apply_step(ctx, contract, step, audit_action="activate")
    return True


def submit(ctx: Ctx, contract_id: str, *, on: date | None = None, reason: str = "") -> Contract:
    """Draft → pending, once the terms are complete; activates at once when its condition is
    already met."""
    ctx.require(Permission.WRITE_BILLING)
    contract = store.load_contract(ctx, contract_id, for_update=True)
    day = _day(ctx, on)
    lifecycle = store.lifecycle_of(ctx, contract)
    step = _step(
        lambda: lifecycle.apply(Action.SUBMIT, on=day, actor=ctx.actor.label, reason=reason)
    )
    terms = store.original_terms(ctx, contract)
    customer, problem = cat.customer_or_problem(ctx, terms.customer_id)
    problems = submission_problems(terms) + validate_terms(terms) + ([problem] if problem else [])
    problems += cat.header_problems(ctx, terms, customer, contract.id)
    problems += cat.line_product_problems(ctx, terms, {line.line_key for line in terms.lines})
    raise_if_any(problems, "The contract cannot be submitted")
    apply_step(ctx, contract, step, audit_action="submit")
    activate_when_due(ctx, contract, store.today(ctx))
    return contract


def activate(
    ctx: Ctx,
    contract_id: str,
    *,
    on: date | None = None,
    forced: bool = False,
    reason: str = "",
) -> Contract:
    """Pending → active when the activation condition allows it on that day; an admin may
    force it (the transition says so)."""
    ctx.require(Permission.WRITE_BILLING)
    if forced:
        _admin_only(ctx, "force an activation")
    contract = store.load_contract(ctx, contract_id, for_update=True)
    day = _day(ctx, on)
    terms = store.version_on(store.versions_of(ctx, contract), day).terms
    lifecycle = store.lifecycle_of(ctx, contract)
    step = _step(
        lambda: activate_lifecycle(
            lifecycle,
            terms.activation,
            _facts(ctx, contract),
            on=day,
            actor=ctx.actor.label,
            forced=forced,
            reason=reason,
        )
    )
    return apply_step(ctx, contract, step, audit_action="activate")


def _simple(ctx: Ctx, contract_id: str, action: Action, on: date | None, reason: str) -> Contract:
    ctx.require(Permission.WRITE_BILLING)
    contract = store.load_contract(ctx, contract_id, for_update=True)
    day = _day(ctx, on)
    lifecycle = store.lifecycle_of(ctx, contract)
    step = _step(lambda: lifecycle.apply(action, on=day, actor=ctx.actor.label, reason=reason))
    return apply_step(ctx, contract, step, audit_action=action.value)


def suspend(ctx: Ctx, contract_id: str, *, on: date | None = None, reason: str = "") -> Contract:
    return _simple(ctx, contract_id, Action.SUSPEND, on, reason)


def resume(ctx: Ctx, contract_id: str, *, on: date | None = None, reason: str = "") -> Contract:
    return _simple(ctx, contract_id, Action.RESUME, on, reason)


def terminate(
    ctx: Ctx,
    contract_id: str,
    *,
    mode: TerminationMode = TerminationMode.AT_TERM_END,
    on: date | None = None,
    forced: bool = False,
    with_credit: bool = False,
    reason: str = "",
    fee_line: LineInput | None = None,
    waive_fee: bool = False,
) -> Contract:
    """Ends a contract: at term end after notice, on a chosen date respecting notice (an admin
    may force an earlier one, recorded), or immediately (skipping notice: admins only).

    A running contract gets a `Terminate` amendment (scheduled until its date, when the
    clock-driven run records the transition); a pending one that never started is terminated
    at once. `on` is the first day no longer covered. `waive_fee` (admins only) waives the
    contract's early-termination fee.
    """
    ctx.require(Permission.WRITE_BILLING)
    if forced:
        _admin_only(ctx, "force a termination")
    if waive_fee:
        _admin_only(ctx, "waive an early-termination fee")
    contract = store.load_contract(ctx, contract_id, for_update=True)
    lifecycle = store.lifecycle_of(ctx, contract)
    status = store.status_of(contract)
    if status is ContractStatus.PENDING:
        day = _day(ctx, on)
        step = _step(
            lambda: lifecycle.apply(
                Action.TERMINATE, on=day, actor=ctx.actor.label, reason=reason, forced=forced
            )
        )
        return apply_step(ctx, contract, step, audit_action="terminate")
    if status not in (ContractStatus.ACTIVE, ContractStatus.SUSPENDED):
        raise TransitionRefused(status, Action.TERMINATE)
    today = store.today(ctx)
    versions = store.versions_of(ctx, contract)
    terms = store.version_on(versions, today).terms
    try:
        plan = plan_termination(terms, mode=mode, today=today, requested=on, forced=forced)
    except InvalidInput as exc:
        raise store.renamed(exc, CORE_FIELDS) from None
    if plan.notice_overridden and ctx.actor.role is not Role.ADMIN:
        raise Forbidden(
            f"ending on {plan.effective.isoformat()} skips the {terms.notice} of notice: only an "
            f"admin may terminate without notice; role '{ctx.actor.role.value}' may not"
        )
    invoiced = facts.invoiced_termination_problem(
        plan.effective,
        None if with_credit else _credited_until(ctx, contract.id, versions, terms),
        with_credit=with_credit,
    )
    if invoiced is not None:
        raise InvalidInput(f"date: {invoiced.message}", [FieldError("date", invoiced.message)])
    if terms.end_date is not None and plan.effective == terms.end_date:
        raise Conflict(
            f"contract {contract.reference} already ends after "
            f"{last_day(terms.end_date).isoformat()}: nothing to terminate"
        )
    fee = _fee_line(ctx, fee_line, terms, plan.effective)
    amendment = confirm(
        Amendment(
            id=new_id("amd"),
            sequence=contract.amendment_sequence + 1,
            effective_date=plan.effective,
            reason=reason or f"termination ({plan.mode.value})",
            author=ctx.actor.label,
            changes=(Terminate(fee, waive_fee),),
        ),
        today,
    )
    scheduled = [store.to_amendment(r) for r in store.scheduled_rows(ctx, contract.id)]
    refuse_conflicts(amendment, scheduled)
    new_versions = amend(versions, amendment)
    row = store_amendment(ctx, contract, amendment, notice_overridden=plan.notice_overridden)
    store.save_versions(ctx, contract, new_versions)
    record(
        ctx,
        "terminate",
        "contract",
        contract.id,
        after={
            "amendment_id": row.id,
            "mode": plan.mode.value,
            "effective_date": plan.effective.isoformat(),
            "notice_given_on": plan.notice_given_on.isoformat(),
            "notice_overridden": plan.notice_overridden,
            "early": plan.early,
            "with_credit": with_credit,
            "waive_fee": waive_fee,
        },
    )
    if plan.effective <= today:
        step = _step(
            lambda: lifecycle.apply(
                Action.TERMINATE,
                on=plan.effective,
                actor=ctx.actor.label,
                reason=amendment.reason,
                forced=plan.notice_overridden,
            )
        )
        apply_step(ctx, contract, step, audit_action="terminated")
    return contract


def _fee_line(
    ctx: Ctx, data: LineInput | None, terms: ContractTerms, effective: date
) -> ContractLine | None:
    if data is None:
        return None
    problems = Problems()
    prices = PriceContext(terms.pricelist_id, terms.currency, last_day(effective))
    line = line_of(ctx, data, "fee_line", prices, problems)
    product = cat.products(ctx, [line.product_id]).get(line.product_id)
    if product is not None and not product.active:
        problems.add("fee_line.product_id", f"product {product.code} is archived")
    raise_if_any(problems.errors, "The fee line is not valid")
    return line


def store_amendment(
    ctx: Ctx, contract: Contract, amendment: Amendment, *, notice_overridden: bool = False
) -> ContractAmendment:
    """A new amendment row (its sequence becomes the contract's latest)."""
    row = ContractAmendment(
        id=amendment.id,
        organization_id=ctx.organization_id,
        contract_id=contract.id,
        sequence=amendment.sequence,
        effective_date=amendment.effective_date,
        reason=amendment.reason,
        author=amendment.author,
        status=amendment.status.value,
        changes=encode_changes(amendment.changes),
        signed_document_ref=amendment.signed_document,
        notice_overridden=notice_overridden,
        created_at=ctx.clock.now(),
    )
    store.set_amendment_status(ctx, row, amendment.status)
    contract.amendment_sequence = amendment.sequence
    ctx.session.add(row)
    ctx.session.flush()
    record(ctx, "create", "contract_amendment", row.id, after=snapshot(row))
    return row


def record_signature(ctx: Ctx, contract_id: str, *, signed_on: date | None = None) -> Contract:
    """Records the signature; a pending contract activating on signature activates."""
    return _record_fact(ctx, contract_id, "signed_on", signed_on, "sign")


def record_first_payment(ctx: Ctx, contract_id: str, *, paid_on: date | None = None) -> Contract:
    """Records the first payment; a pending contract activating on it activates."""
    return _record_fact(ctx, contract_id, "first_paid_on", paid_on, "record_first_payment")


def _record_fact(
    ctx: Ctx, contract_id: str, column: str, on: date | None, audit_action: str
) -> Contract:
    ctx.require(Permission.WRITE_BILLING)
    contract = store.load_contract(ctx, contract_id, for_update=True)
    field = "signed_on" if column == "signed_on" else "paid_on"
    if contract.status == ContractStatus.TERMINATED.value:
        raise Conflict(f"contract {contract.reference} is terminated")
    already = (
        _facts(ctx, contract).signed_on
        if column == "signed_on"
        else _facts(ctx, contract).first_paid_on
    )
    if already is not None:
        what = "signature" if column == "signed_on" else "first payment"
        raise Conflict(
            f"the {what} of contract {contract.reference} is already recorded "
            f"({already.isoformat()})"
        )
    day = _day(ctx, on, field)
    before = snapshot(contract)
    setattr(contract, column, day)
    contract.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, audit_action, "contract", contract.id, before, snapshot(contract))
    activate_when_due(ctx, contract, store.today(ctx))
    return contract


def transition(ctx: Ctx, contract_id: str, *, data: TransitionCreate) -> Contract:
    """Any lifecycle action from one input (the API's and the pages' entry point)."""
    action = data.action
    if action is not Action.TERMINATE:
        misplaced = [
            name
            for name, given in (
                ("mode", data.mode is not None),
                ("with_credit", data.with_credit),
                ("fee_line", data.fee_line is not None),
                ("waive_fee", data.waive_fee),
            )
            if given
        ]
        if data.forced and action is not Action.ACTIVATE:
            misplaced.append("forced")
        if misplaced:
            raise InvalidInput(
                f"not for {action.value}: {', '.join(misplaced)}",
                [
                    FieldError(name, f"not used by {action.value} (only by {ONLY_FOR[name]})")
                    for name in misplaced
                ],
            )
    if action is Action.SUBMIT:
        return submit(ctx, contract_id, on=data.date, reason=data.reason)
    if action is Action.ACTIVATE:
        return activate(ctx, contract_id, on=data.date, forced=data.forced, reason=data.reason)
    if action is Action.SUSPEND:
        return suspend(ctx, contract_id, on=data.date, reason=data.reason)
    if action is Action.RESUME:
        return resume(ctx, contract_id, on=data.date, reason=data.reason)
    mode = data.mode or (
        TerminationMode.ON_DATE if data.date is not None else TerminationMode.AT_TERM_END
    )
    return terminate(
        ctx,
        contract_id,
        mode=mode,
        on=data.date,
        forced=data.forced,
        with_credit=data.with_credit,
        reason=data.reason,
        fee_line=data.fee_line,
        waive_fee=data.waive_fee,
    )
