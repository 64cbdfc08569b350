import gc

import pytest

from tarif.collector import collections_paused, full_collections_paused


def test_full_collections_wait_for_the_end_of_the_block() -> None:
    before = gc.get_threshold()
    with full_collections_paused():
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2]  # young collections go on as before
        assert full == 2**30  # never reached: no automatic full collection
    assert gc.get_threshold() == before


def test_thresholds_come_back_after_an_exception() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), full_collections_paused():
        raise RuntimeError("run failed")
    assert gc.get_threshold() == before


def test_a_nested_block_restores_the_paused_thresholds() -> None:
    before = gc.get_threshold()
    with full_collections_paused():
        with full_collections_paused():
            pass
        assert gc.get_threshold()[2] == 2**30
    assert gc.get_threshold() == before


def test_blocks_ending_out_of_order_end_the_pause_with_the_last() -> None:
    # two runs in two threads: the first to start is the first to end
    before = gc.get_threshold()
    first, second = full_collections_paused(), full_collections_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] == 2**30  # the second run is still going
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_every_collection_waits_and_the_collector_runs_again_after() -> None:
    assert gc.isenabled()
    with collections_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_runs_again_after_an_exception() -> None:
    with pytest.raises(RuntimeError), collections_paused():
        raise RuntimeError("chunk failed")
    assert gc.isenabled()


def test_pauses_ending_out_of_order_end_with_the_last() -> None:
    # a chunk's rating in one thread, a SmartCode batch in another: the first to start ends first
    first, second = collections_paused(), collections_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second is still going
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collections_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
