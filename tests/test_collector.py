import gc

import pytest

from tarif.collector import collections_paused


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
