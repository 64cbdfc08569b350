"""The contract lifecycle: draft → pending → active ⇄ suspended → terminated, and activation.

Pure. A `Lifecycle` keeps every transition (action, from, to, date, actor, reason, forced) and
refuses one that is not allowed from the current status with `TransitionRefused`, naming both.
A pending contract may also be terminated (a signed deal that never starts). Term, notice and
termination dates are in `tarif.contracts.term`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tarif.contracts.model import Activation, ActivationCondition, ContractStatus
from tarif.errors import Conflict, InvalidInput


class Action(StrEnum):
    SUBMIT = "submit"
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"


S = ContractStatus
ALLOWED: dict[tuple[ContractStatus, Action], ContractStatus] = {
    (S.DRAFT, Action.SUBMIT): S.PENDING,
    (S.PENDING, Action.ACTIVATE): S.ACTIVE,
    (S.PENDING, Action.TERMINATE): S.TERMINATED,
    (S.ACTIVE, Action.SUSPEND): S.SUSPENDED,
    (S.ACTIVE, Action.TERMINATE): S.TERMINATED,
    (S.SUSPENDED, Action.RESUME): S.ACTIVE,
    (S.SUSPENDED, Action.TERMINATE): S.TERMINATED,
}


def allowed_actions(status: ContractStatus) -> list[Action]:
    return [action for (source, action) in ALLOWED if source is status]


class TransitionRefused(Conflict):
    """An action that the current status does not allow."""

    def __init__(self, status: ContractStatus, action: Action) -> None:
        allowed = ", ".join(a.value for a in allowed_actions(status)) or "none (final status)"
        super().__init__(
            f"cannot {action.value} a contract that is {status.value}; "
            f"allowed from {status.value}: {allowed}"
        )
        self.current_status = status
        self.action = action


@dataclass(frozen=True)
class Transition:
    action: Action
    from_status: ContractStatus
    to_status: ContractStatus
    on: date
    actor: str
    reason: str = ""
    forced: bool = False  # an admin overrode a condition (activation, notice): kept visible


@dataclass(frozen=True)
class Lifecycle:
    """The status and the full, ordered history of transitions of one contract."""

    transitions: tuple[Transition, ...] = ()

    @property
    def status(self) -> ContractStatus:
        return self.transitions[-1].to_status if self.transitions else ContractStatus.DRAFT

    def status_on(self, day: date) -> ContractStatus:
        """The status at the end of `day` (draft before the first transition)."""
        status = ContractStatus.DRAFT
        for transition in self.transitions:
            if transition.on > day:
                break
            status = transition.to_status
        return status

    def apply(
        self, action: Action, *, on: date, actor: str, reason: str = "", forced: bool = False
    ) -> Lifecycle:
        """This lifecycle with one more transition; refused when not allowed or out of order."""
        target = ALLOWED.get((self.status, action))
        if target is None:
            raise TransitionRefused(self.status, action)
        if not actor.strip():
            raise InvalidInput.on("actor", "every transition is attributed: the actor is required")
        if self.transitions and on < self.transitions[-1].on:
            last = self.transitions[-1]
            raise InvalidInput.on(
                "on",
                f"{on.isoformat()} is before the last transition ({last.action.value} on "
                f"{last.on.isoformat()}): the history is kept in date order",
            )
        transition = Transition(action, self.status, target, on, actor, reason, forced)
        return Lifecycle((*self.transitions, transition))


@dataclass(frozen=True)
class ActivationFacts:
    """What has been recorded so far (signature and first payment are recorded by calls)."""

    signed_on: date | None = None
    first_paid_on: date | None = None


def activation_blocker(activation: Activation, on: date, facts: ActivationFacts) -> str | None:
    """Why the contract cannot activate on `on` yet, or None when it may."""
    condition = activation.condition
    if condition is ActivationCondition.AT_DATE:
        if activation.on is not None and on < activation.on:
            return f"it activates on {activation.on.isoformat()}"
        return None
    if condition is ActivationCondition.ON_SIGNATURE:
        return _recorded("the signature", facts.signed_on, on)
    if condition is ActivationCondition.ON_FIRST_PAYMENT:
        return _recorded("the first payment", facts.first_paid_on, on)
    return None  # manual: the explicit call is the condition


def _recorded(what: str, recorded_on: date | None, on: date) -> str | None:
    if recorded_on is None:
        return f"it activates on {what}, which is not recorded yet"
    if recorded_on > on:
        return f"it activates on {what}, recorded for {recorded_on.isoformat()}"
    return None


def automatic_activation_date(activation: Activation, facts: ActivationFacts) -> date | None:
    """The day the condition was met, for the billing run to activate a pending contract.

    None for a manual activation or a condition not met yet.
    """
    condition = activation.condition
    if condition is ActivationCondition.AT_DATE:
        return activation.on
    if condition is ActivationCondition.ON_SIGNATURE:
        return facts.signed_on
    if condition is ActivationCondition.ON_FIRST_PAYMENT:
        return facts.first_paid_on
    return None


class ActivationRefused(Conflict):
    """The activation condition is not met and nobody forced it."""


def activate(
    lifecycle: Lifecycle,
    activation: Activation,
    facts: ActivationFacts,
    *,
    on: date,
    actor: str,
    forced: bool = False,
    reason: str = "",
) -> Lifecycle:
    """Activate on `on` when the condition allows it; an admin may force it (recorded)."""
    if lifecycle.status is not ContractStatus.PENDING:
        raise TransitionRefused(lifecycle.status, Action.ACTIVATE)
    blocker = activation_blocker(activation, on, facts)
    if blocker is not None and not forced:
        raise ActivationRefused(
            f"cannot activate on {on.isoformat()}: {blocker} (an admin may force it)"
        )
    return lifecycle.apply(
        Action.ACTIVATE, on=on, actor=actor, reason=reason, forced=blocker is not None
    )
