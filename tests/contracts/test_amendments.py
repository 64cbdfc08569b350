"""Amendments, versions, "as of" a date, scheduling, cancelling and the history rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tarif.contracts.amendments import (
    Amendment,
    AmendmentStatus,
    AmendmentStatusError,
    ContractVersion,
    HistoryRewriteRefused,
    amend,
    amendment_problems,
    apply_due,
    as_of,
    cancel,
    confirm,
    versions_from,
)
from tarif.contracts.changes import AddLine, AmendmentRefused, Change, ChangeQuantity, RemoveLine
from tests.contracts.factories import contract, hosting, licence

ORIGINAL = contract(lines=(hosting(), licence()))  # from 15 Jan 2026
TODAY = date(2026, 2, 20)
A = AmendmentStatus


def amendment(
    id: str,
    effective: date,
    *changes: Change,
    sequence: int | None = None,
    status: AmendmentStatus = AmendmentStatus.SCHEDULED,
) -> Amendment:
    return Amendment(
        id=id,
        sequence=int(id.removeprefix("AM-")) if sequence is None else sequence,
        effective_date=effective,
        reason="customer request",
        author="alice",
        changes=changes,
        status=status,
    )


def quantity(key: str, value: int) -> ChangeQuantity:
    return ChangeQuantity(key, Decimal(value))


def hosting_quantity(version: ContractVersion | None) -> Decimal:
    assert version is not None
    line = version.terms.line("hosting")
    assert line is not None
    return line.quantity


def test_versions_replay_amendments_in_effective_date_order() -> None:
    upgrade = amendment("AM-2", date(2026, 3, 1), quantity("hosting", 3))
    downgrade = amendment("AM-1", date(2026, 5, 1), quantity("hosting", 2))
    draft = amendment("AM-3", date(2026, 4, 1), quantity("hosting", 9), status=A.DRAFT)
    cancelled = amendment("AM-4", date(2026, 4, 1), quantity("hosting", 9), status=A.CANCELLED)
    versions = versions_from(ORIGINAL, [downgrade, draft, upgrade, cancelled])
    assert [(v.number, v.effective_from) for v in versions] == [
        (1, date(2026, 1, 15)),
        (2, date(2026, 3, 1)),
        (3, date(2026, 5, 1)),
    ]
    assert [hosting_quantity(v) for v in versions] == [1, 3, 2]
    assert versions[0].terms is ORIGINAL and versions[0].amendment is None


def test_ties_on_a_date_are_broken_by_sequence() -> None:
    first = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3))
    second = amendment("AM-2", date(2026, 3, 1), quantity("hosting", 5))
    versions = versions_from(ORIGINAL, [second, first])
    assert [v.amendment.id for v in versions[1:] if v.amendment] == ["AM-1", "AM-2"]
    # Both take effect on 1 Mar; the later sequence wins that day.
    assert hosting_quantity(as_of(versions, date(2026, 3, 1))) == 5


def test_as_of_gives_the_version_in_force_that_day() -> None:
    versions = versions_from(
        ORIGINAL, [amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3))]
    )
    assert as_of(versions, date(2026, 1, 14)) is None  # before the start
    assert as_of(versions, date(2026, 1, 15)) == versions[0]
    assert as_of(versions, date(2026, 2, 28)) == versions[0]  # the day before the change
    assert as_of(versions, date(2026, 3, 1)) == versions[1]
    assert as_of(versions, date(2030, 1, 1)) == versions[1]


def test_confirming_schedules_a_future_amendment_and_applies_a_past_one() -> None:
    draft = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3), status=A.DRAFT)
    assert confirm(draft, TODAY).status is A.SCHEDULED  # 1 Mar is after 20 Feb
    assert confirm(draft, date(2026, 3, 1)).status is A.APPLIED  # its day is reached
    with pytest.raises(AmendmentStatusError, match="is not a draft"):
        confirm(confirm(draft, TODAY), TODAY)


def test_amendments_need_a_reason_an_author_and_changes() -> None:
    bare = Amendment("AM-1", 1, TODAY, reason=" ", author="", changes=())
    assert [p.field for p in amendment_problems(bare)] == ["reason", "author", "changes"]


def test_a_scheduled_upgrade_is_projected_until_its_date() -> None:
    versions = amend(
        versions_from(ORIGINAL, []), amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3))
    )
    assert versions[1].projected
    still, applied = apply_due(versions, TODAY)  # 20 Feb: not yet
    assert applied == [] and still == versions
    reached, applied = apply_due(versions, date(2026, 3, 1))
    assert [a.id for a in applied] == ["AM-1"]
    assert reached[1].amendment is not None
    assert reached[1].amendment.status is A.APPLIED and not reached[1].projected
    assert reached[1].terms == versions[1].terms  # applying changes no terms, only the status


def test_amending_one_by_one_matches_versions_from() -> None:
    first = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3), status=A.APPLIED)
    second = amendment("AM-2", date(2026, 4, 1), RemoveLine("licence"))
    versions = amend(amend(versions_from(ORIGINAL, []), first), second)
    assert versions == versions_from(ORIGINAL, [second, first])


def test_an_earlier_amendment_is_slotted_before_scheduled_ones() -> None:
    later = amendment("AM-1", date(2026, 5, 1), quantity("hosting", 5))
    versions = amend(versions_from(ORIGINAL, []), later)
    earlier = amendment("AM-2", date(2026, 3, 1), AddLine(hosting(line_key="backup")))
    result = amend(versions, earlier)
    assert [v.amendment.id for v in result if v.amendment] == ["AM-2", "AM-1"]
    assert result == versions_from(ORIGINAL, [later, earlier])
    assert [v.number for v in result] == [1, 2, 3]


def test_history_is_never_rewritten_before_an_applied_amendment() -> None:
    applied = amendment("AM-1", date(2026, 2, 1), quantity("hosting", 3), status=A.APPLIED)
    versions = amend(versions_from(ORIGINAL, []), applied)
    backdated = amendment("AM-2", date(2026, 1, 20), quantity("hosting", 2), status=A.APPLIED)
    with pytest.raises(HistoryRewriteRefused) as refused:
        amend(versions, backdated)
    assert refused.value.detail == (
        "amendment AM-2 takes effect on 2026-01-20, before applied amendment(s) AM-1 "
        "(effective 2026-02-01): applied history is never rewritten; date the change on or "
        "after 2026-02-01 as a new amendment"
    )
    # The same day as the applied one, created later: it comes after it, nothing is rewritten.
    same_day = amendment("AM-3", date(2026, 2, 1), quantity("hosting", 4), status=A.APPLIED)
    assert hosting_quantity(amend(versions, same_day)[-1]) == 4
    # Dated in the past but after every applied version: allowed.
    late = amendment("AM-4", date(2026, 2, 10), quantity("hosting", 6), status=A.APPLIED)
    assert hosting_quantity(amend(versions, late)[-1]) == 6


def test_a_draft_or_duplicate_amendment_cannot_change_the_contract() -> None:
    draft = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3), status=A.DRAFT)
    with pytest.raises(AmendmentStatusError, match="must be confirmed"):
        amend(versions_from(ORIGINAL, []), draft)
    scheduled = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3))
    versions = amend(versions_from(ORIGINAL, []), scheduled)
    with pytest.raises(AmendmentStatusError, match="already part of the contract"):
        amend(versions, scheduled)


def test_an_invalid_amendment_is_refused_naming_it() -> None:
    wrong = amendment("AM-7", date(2026, 3, 1), RemoveLine("storage"))
    with pytest.raises(AmendmentRefused) as refused:
        amend(versions_from(ORIGINAL, []), wrong)
    assert refused.value.detail.startswith("amendment AM-7 (effective 2026-03-01): ")
    assert [e.field for e in refused.value.errors] == ["changes.0.line_key"]


def test_cancelling_a_scheduled_amendment_replays_the_later_ones() -> None:
    upgrade = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3))
    licence_cut = amendment("AM-2", date(2026, 4, 1), quantity("licence", 5))
    versions = versions_from(ORIGINAL, [upgrade, licence_cut])
    result, cancelled = cancel(versions, "AM-1", TODAY)
    assert cancelled.status is A.CANCELLED
    assert result == versions_from(ORIGINAL, [licence_cut])
    assert hosting_quantity(as_of(result, date(2026, 4, 1))) == 1


def test_a_cancellation_that_breaks_a_later_amendment_is_refused() -> None:
    add = amendment("AM-1", date(2026, 3, 1), AddLine(hosting(line_key="backup")))
    grow = amendment("AM-2", date(2026, 4, 1), quantity("backup", 2))
    versions = versions_from(ORIGINAL, [add, grow])
    with pytest.raises(AmendmentRefused, match=r"amendment AM-2 .*no line 'backup'"):
        cancel(versions, "AM-1", TODAY)


def test_only_a_scheduled_amendment_before_its_date_can_be_cancelled() -> None:
    upgrade = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3))
    versions = versions_from(ORIGINAL, [upgrade])
    with pytest.raises(AmendmentStatusError, match="can no longer be cancelled"):
        cancel(versions, "AM-1", date(2026, 3, 1))  # its day has come
    applied, _ = apply_due(versions, date(2026, 3, 1))
    with pytest.raises(AmendmentStatusError, match="can no longer be cancelled"):
        cancel(applied, "AM-1", TODAY)
    with pytest.raises(AmendmentStatusError, match="not part of this contract"):
        cancel(versions, "AM-9", TODAY)


def test_an_amendment_with_applied_ones_after_it_cannot_be_cancelled() -> None:
    # AM-2 was applied although AM-1, dated earlier, is still scheduled (e.g. recorded late).
    scheduled = amendment("AM-1", date(2026, 3, 1), quantity("hosting", 3))
    applied = amendment("AM-2", date(2026, 3, 10), quantity("licence", 4), status=A.APPLIED)
    versions = versions_from(ORIGINAL, [scheduled, applied])
    with pytest.raises(HistoryRewriteRefused) as refused:
        cancel(versions, "AM-1", TODAY)
    assert refused.value.detail == (
        "amendment AM-1 (effective 2026-03-01) cannot be cancelled: applied amendment(s) AM-2 "
        "(effective 2026-03-10) came after it, and applied history is never rewritten"
    )
