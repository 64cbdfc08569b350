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


def test_versions_kept_unchanged_are_handed_out_without_a_query(ctx: Ctx, world: World) -> None:
    from datetime import date

    from sqlalchemy import event

    from tarif.contracts.service_due import apply_due

    untouched = world.running()
    # a one-month term renewing on 15 Feb: the date changes something for it
    renewing = world.running(
        reference="C-2026-002", start_date="2026-01-15", initial_term_months=1, renewal_months=1
    )
    engine = ctx.session.get_bind()
    statements: list[str] = []

    def keep(conn: object, cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    with store.terms_decoded_once(ctx):
        assert apply_due(ctx, as_of=date(2026, 2, 15)).renewals == ["C-2026-002: 2026-02-15"]
        ctx.session.flush()
        event.listen(engine, "before_cursor_execute", keep)
        try:
            # the untouched contract's list is the one apply_due read: no query for it
            alone = store.versions_by_contract(ctx, [untouched.id])
            assert statements == []
            # the renewed one is read again
            again = store.versions_by_contract(ctx, [renewing.id])
            assert statements != []
            # taken once: asked again, the untouched contract is read from the database
            statements.clear()
            second = store.versions_by_contract(ctx, [untouched.id])
            assert statements != []
        finally:
            event.remove(engine, "before_cursor_execute", keep)
    assert [v.number for v in alone[untouched.id]] == [1]
    assert second[untouched.id][0].terms == alone[untouched.id][0].terms
    assert again[renewing.id][0].terms.reference == "C-2026-002"
