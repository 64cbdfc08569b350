"""Amendments (avenants) and the immutable versions they create.

Pure. An amendment is a dated change set with a reason, an author, a status and an optional
signed document. Applying one creates version N+1 from its effective date; the contract "as of" a
day is the last version whose effective date is on or before it. Versions replay the amendments
in (effective date, sequence) order from the original terms; draft and cancelled amendments are
not part of any version.

History is never rewritten silently: an amendment dated before a version created by an applied
amendment is refused (`HistoryRewriteRefused`, naming the applied ones). When every later version
comes from amendments still only scheduled, they are replayed after the new one instead.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from tarif.contracts.changes import AmendmentRefused, Change, apply_changes
from tarif.contracts.model import ContractTerms
from tarif.errors import Conflict, FieldError


class AmendmentStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # confirmed, takes effect when its date is reached
    APPLIED = "applied"
    CANCELLED = "cancelled"


IN_FORCE = (AmendmentStatus.SCHEDULED, AmendmentStatus.APPLIED)


@dataclass(frozen=True)
class Amendment:
    """`sequence` orders amendments of one contract by creation; it breaks date ties."""

    id: str
    sequence: int
    effective_date: date
    reason: str
    author: str
    changes: tuple[Change, ...]
    status: AmendmentStatus = AmendmentStatus.DRAFT
    signed_document: str | None = None

    @property
    def order(self) -> tuple[date, int]:
        return (self.effective_date, self.sequence)

    def __str__(self) -> str:
        return f"amendment {self.id} ({self.status.value}, effective {self.effective_date})"


@dataclass(frozen=True)
class ContractVersion:
    """Version `number` of the terms, in force from `effective_from`; version 1 is the original."""

    number: int
    effective_from: date
    terms: ContractTerms
    amendment: Amendment | None = None

    @property
    def projected(self) -> bool:
        """True when it comes from an amendment that is only scheduled so far."""
        return self.amendment is not None and self.amendment.status is AmendmentStatus.SCHEDULED


class HistoryRewriteRefused(Conflict):
    """An amendment that would change what applied amendments already made history."""


class AmendmentStatusError(Conflict):
    """An amendment in the wrong status for the requested step."""


def amendment_problems(amendment: Amendment) -> list[FieldError]:
    problems = []
    if not amendment.reason.strip():
        problems.append(FieldError("reason", "every amendment says why: the reason is required"))
    if not amendment.author.strip():
        problems.append(FieldError("author", "is required"))
    if not amendment.changes:
        problems.append(FieldError("changes", "an amendment needs at least one change"))
    return problems


def confirm(amendment: Amendment, today: date) -> Amendment:
    """A draft made effective: applied when its date is today or past, else scheduled."""
    if amendment.status is not AmendmentStatus.DRAFT:
        raise AmendmentStatusError(f"{amendment} is not a draft")
    due = amendment.effective_date <= today
    return replace(amendment, status=AmendmentStatus.APPLIED if due else AmendmentStatus.SCHEDULED)


def versions_from(
    original: ContractTerms, amendments: Iterable[Amendment]
) -> list[ContractVersion]:
    """Every version: the original, then one per scheduled or applied amendment, in order."""
    in_force = sorted((a for a in amendments if a.status in IN_FORCE), key=lambda a: a.order)
    return _replay([ContractVersion(1, original.start_date, original)], in_force)


def as_of(versions: Sequence[ContractVersion], day: date) -> ContractVersion | None:
    """The version in force on `day`; None before the contract starts."""
    index = bisect.bisect_right([v.effective_from for v in versions], day)
    return versions[index - 1] if index else None


def amend(versions: Sequence[ContractVersion], amendment: Amendment) -> list[ContractVersion]:
    """The versions once a scheduled or applied amendment is added (see the module's rule)."""
    if amendment.status not in IN_FORCE:
        raise AmendmentStatusError(f"{amendment} must be confirmed before it changes the contract")
    if any(v.amendment is not None and v.amendment.id == amendment.id for v in versions):
        raise AmendmentStatusError(f"{amendment} is already part of the contract")
    kept = [v for v in versions if v.amendment is None or v.amendment.order < amendment.order]
    later = [v.amendment for v in versions if v.amendment and v.amendment.order > amendment.order]
    _refuse_rewrite(amendment, later, cancelling=False)
    return _replay(kept, [amendment, *later])


def cancel(
    versions: Sequence[ContractVersion], amendment_id: str, today: date
) -> tuple[list[ContractVersion], Amendment]:
    """Cancel a scheduled amendment before its date: the versions without it, and it cancelled.

    Later scheduled amendments are replayed; one that depended on the cancelled amendment (a
    change to a line it added) makes the cancellation refused, naming it.
    """
    found = next((v for v in versions if v.amendment and v.amendment.id == amendment_id), None)
    if found is None or found.amendment is None:
        raise AmendmentStatusError(f"amendment {amendment_id} is not part of this contract")
    target = found.amendment
    if target.status is not AmendmentStatus.SCHEDULED or target.effective_date <= today:
        raise AmendmentStatusError(
            f"{target} can no longer be cancelled: only a scheduled amendment whose date has not "
            "been reached can be; correct it with a new amendment"
        )
    kept = [v for v in versions if v.amendment is None or v.amendment.order < target.order]
    later = [v.amendment for v in versions if v.amendment and v.amendment.order > target.order]
    _refuse_rewrite(target, later, cancelling=True)
    return _replay(kept, later), replace(target, status=AmendmentStatus.CANCELLED)


def apply_due(
    versions: Sequence[ContractVersion], today: date
) -> tuple[list[ContractVersion], list[Amendment]]:
    """Mark scheduled amendments whose date is reached as applied (terms are unchanged)."""
    result, newly_applied = [], []
    for version in versions:
        amendment = version.amendment
        due = amendment is not None and amendment.effective_date <= today
        if amendment is not None and due and amendment.status is AmendmentStatus.SCHEDULED:
            amendment = replace(amendment, status=AmendmentStatus.APPLIED)
            newly_applied.append(amendment)
            version = replace(version, amendment=amendment)
        result.append(version)
    return result, newly_applied


def _refuse_rewrite(amendment: Amendment, later: Sequence[Amendment], cancelling: bool) -> None:
    applied = [a for a in later if a.status is AmendmentStatus.APPLIED]
    if not applied:
        return
    names = ", ".join(f"{a.id} (effective {a.effective_date.isoformat()})" for a in applied)
    when = amendment.effective_date.isoformat()
    if cancelling:
        raise HistoryRewriteRefused(
            f"amendment {amendment.id} (effective {when}) cannot be cancelled: applied "
            f"amendment(s) {names} came after it, and applied history is never rewritten"
        )
    latest = max(a.effective_date for a in applied).isoformat()
    raise HistoryRewriteRefused(
        f"amendment {amendment.id} takes effect on {when}, before applied amendment(s) "
        f"{names}: applied history is never rewritten; date the change on or after {latest} "
        "as a new amendment"
    )


def _replay(
    kept: Sequence[ContractVersion], amendments: Iterable[Amendment]
) -> list[ContractVersion]:
    versions = list(kept)
    for amendment in amendments:
        try:
            terms = apply_changes(versions[-1].terms, amendment.changes, amendment.effective_date)
        except AmendmentRefused as refused:
            raise AmendmentRefused(
                f"amendment {amendment.id} (effective {amendment.effective_date.isoformat()}): "
                f"{refused.detail}",
                refused.errors,
            ) from None
        versions.append(
            ContractVersion(len(versions) + 1, amendment.effective_date, terms, amendment)
        )
    return versions
