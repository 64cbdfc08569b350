"""Properties of versions and amendments, checked on generated contracts (Hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tarif.contracts.amendments import (
    Amendment,
    AmendmentStatus,
    ContractVersion,
    amend,
    as_of,
    versions_from,
)
from tarif.contracts.changes import AmendmentRefused, apply_changes
from tarif.contracts.diff import diff
from tarif.contracts.model import ContractTerms
from tarif.contracts.rules import validate_terms
from tests.contracts.strategies import amended_contracts

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def replayed_as_of(
    original: ContractTerms, amendments: list[Amendment], day: date
) -> ContractTerms | None:
    """The oracle: apply, in effective-date order, every amendment in force by `day`."""
    if day < original.start_date:
        return None
    terms = original
    for amendment in sorted(amendments, key=lambda a: (a.effective_date, a.sequence)):
        if amendment.effective_date <= day:
            terms = apply_changes(terms, amendment.changes, amendment.effective_date)
    return terms


def terms_of(version: ContractVersion | None) -> ContractTerms | None:
    return None if version is None else version.terms


@SETTINGS
@given(amended_contracts(), st.data())
def test_as_of_any_date_equals_replaying_amendments_in_date_order(
    case: tuple[ContractTerms, list[Amendment]], data: st.DataObject
) -> None:
    original, amendments = case
    versions = versions_from(original, amendments)
    last = max([a.effective_date for a in amendments], default=original.start_date)
    window = st.dates(original.start_date - timedelta(days=10), last + timedelta(days=60))
    for day in data.draw(st.lists(window, min_size=1, max_size=8)):
        assert terms_of(as_of(versions, day)) == replayed_as_of(original, amendments, day)
    # Every amendment's own effective date sees it applied, and the day before does not.
    for amendment in amendments:
        version = as_of(versions, amendment.effective_date)
        assert version is not None and version.effective_from == amendment.effective_date


@SETTINGS
@given(amended_contracts())
def test_amending_one_by_one_in_date_order_gives_the_same_versions(
    case: tuple[ContractTerms, list[Amendment]],
) -> None:
    original, amendments = case
    versions = versions_from(original, [])
    for amendment in sorted(amendments, key=lambda a: a.order):
        versions = amend(versions, amendment)
    assert versions == versions_from(original, amendments)


@SETTINGS
@given(amended_contracts())
def test_scheduled_amendments_give_the_same_versions_in_any_arrival_order(
    case: tuple[ContractTerms, list[Amendment]],
) -> None:
    original, amendments = case
    scheduled = [a for a in amendments if a.status is AmendmentStatus.SCHEDULED]
    versions = versions_from(original, [])
    try:
        for amendment in scheduled:  # already shuffled by the strategy
            versions = amend(versions, amendment)
    except AmendmentRefused:
        # A change to a line that an earlier-dated amendment adds cannot arrive first.
        assume(False)
    assert versions == versions_from(original, scheduled)


@SETTINGS
@given(amended_contracts())
def test_versions_are_numbered_ordered_valid_and_explained(
    case: tuple[ContractTerms, list[Amendment]],
) -> None:
    original, amendments = case
    versions = versions_from(original, amendments)
    assert [v.number for v in versions] == list(range(1, len(amendments) + 2))
    assert [v.effective_from for v in versions] == sorted(v.effective_from for v in versions)
    for before, after in pairwise(versions):
        assert validate_terms(after.terms) == []
        assert (diff(before.terms, after.terms) == []) == (before.terms == after.terms)
