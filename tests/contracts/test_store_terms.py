"""Terms decoded once for a billing run's two reads of the same versions."""

from __future__ import annotations

from tarif.context import Ctx
from tarif.contracts import service_store as store
from tests.contracts.conftest import World


def test_versions_read_twice_in_the_block_are_decoded_once(ctx: Ctx, world: World) -> None:
    contract = world.running()
    outside = store.versions_by_contract(ctx, [contract.id])[contract.id]
    with store.terms_decoded_once(ctx):
        first = store.versions_by_contract(ctx, [contract.id])[contract.id]
        second = store.versions_by_contract(ctx, [contract.id])[contract.id]
        third = store.versions_by_contract(ctx, [contract.id])[contract.id]
    # the second read hands out what the first decoded; the third decodes again
    assert second[0].terms is first[0].terms
    assert third[0].terms is not first[0].terms
    assert first[0].terms == outside[0].terms == third[0].terms


def test_nothing_is_kept_once_the_block_ends(ctx: Ctx, world: World) -> None:
    contract = world.running()
    with store.terms_decoded_once(ctx):
        first = store.versions_by_contract(ctx, [contract.id])[contract.id]
    after = store.versions_by_contract(ctx, [contract.id])[contract.id]
    assert after[0].terms is not first[0].terms
    assert after[0].terms == first[0].terms


def test_a_second_read_decodes_what_the_first_did_not_read(ctx: Ctx, world: World) -> None:
    # One contract read first, then both: the kept one is handed out, the other read from its
    # stored text and decoded (the second read fetches the text of that one only).
    kept, new = world.running(), world.running(reference="C-2026-002")
    with store.terms_decoded_once(ctx):
        first = store.versions_by_contract(ctx, [kept.id])
        both = store.versions_by_contract(ctx, [kept.id, new.id])
    outside = store.versions_by_contract(ctx, [new.id])
    assert both[kept.id][0].terms is first[kept.id][0].terms
    assert both[new.id][0].terms == outside[new.id][0].terms
    assert both[new.id][0].terms.reference == new.reference
