"""AsyncResult and error behaviour, with futures resolved by hand."""

import pytest

from ipcluster.client import AsyncMapResult, AsyncResult, CompositeError, EngineError, RemoteError, interactive
from ipcluster.client._asyncresult import TaskFuture, moment
from ipcluster.client._errors import error_from_reply
from ipcluster.protocol import deserialize, serialize


def done(value, engine_id=0, msg_id="m"):
    future = TaskFuture(msg_id)
    future.metadata.update(engine_id=engine_id, started=moment(1.0), completed=moment(3.0), received=moment(4.0),
                           stdout=f"out{engine_id}")
    if isinstance(value, BaseException):
        future.set_exception(value)
    else:
        future.set_result(value)
    return future


def test_single_result_is_a_value_and_several_are_a_list():
    """One engine gives a value; several give a list in target order."""
    assert 1 == AsyncResult([done(1)], single=True).get()
    assert [1, 2] == AsyncResult([done(1), done(2, 1)]).get()


def test_get_times_out_with_a_clear_error():
    """An unanswered result raises TimeoutError after the time-out."""
    with pytest.raises(TimeoutError, match="1 of 1 results not ready"):
        AsyncResult([TaskFuture("m")], single=True).get(timeout=0.01)


def test_single_error_is_raised_as_itself_and_several_as_composite():
    """A remote error from one engine raises RemoteError; from several, CompositeError."""
    error = RemoteError("ValueError", "bad", ["tb"], {"engine_id": 1})
    with pytest.raises(RemoteError, match=r"\[engine 1\] ValueError: bad"):
        AsyncResult([done(error)], single=True).get()
    with pytest.raises(CompositeError) as caught:
        AsyncResult([done(1), done(error, 1)]).get()
    assert [error] == caught.value.elist
    with pytest.raises(RemoteError):
        caught.value.raise_exception()


def test_composite_error_lists_the_first_ten_and_counts_the_rest():
    """str() of many failures stays short; every error is still in .elist."""
    errors = [RemoteError("ValueError", f"bad {i}", [], {"engine_id": i % 2}) for i in range(25)]
    text = str(CompositeError("one or more exceptions raised on engines", errors))
    assert "one or more exceptions raised on engines: 25 error(s)" == text.splitlines()[0]
    assert ["  [engine 0] ValueError: bad 0", "  ... and 15 more, all in .elist"] == [
        text.splitlines()[1], text.splitlines()[-1]]
    assert 12 == len(text.splitlines())


def test_get_returns_early_when_an_engine_fails():
    """A failure is raised without waiting for the rest of the results."""
    error = RemoteError("ValueError", "bad")
    with pytest.raises(CompositeError):
        AsyncResult([done(error), TaskFuture("pending")]).get(timeout=30)


def test_map_result_joins_chunks_in_order():
    """Chunk results are concatenated into one list."""
    result = AsyncMapResult([done([0, 1]), done([4, 9])])
    assert [0, 1, 4, 9] == result.get()
    assert [0, 1, 4, 9] == list(result)


def test_metadata_timings_and_get_dict():
    """Per-engine metadata, timing sums and the engine-keyed dict."""
    result = AsyncResult([done("a", 0), done("b", 1)])
    assert result.ready() and result.successful()
    assert ["out0", "out1"] == result.stdout
    assert {0: "a", 1: "b"} == result.get_dict()
    assert 4.0 == result.serial_time
    assert 2 == result.progress


def test_engine_error_replies_become_engine_errors():
    """The scheduler's EngineError reply is an EngineError, other names RemoteErrors."""
    assert isinstance(error_from_reply("EngineError", "died", [], 0), EngineError)
    remote = error_from_reply("KeyError", "'x'", ["line\n"], 2)
    assert isinstance(remote, RemoteError)
    assert "line\n" == remote.traceback


def test_interactive_functions_travel_by_value_as_main_functions():
    """@interactive functions pickle by value and arrive as __main__ functions."""

    @interactive
    def uses_engine_names():
        return 1

    restored = deserialize(serialize(uses_engine_names))
    assert "__main__" == restored.__module__
    assert 1 == restored()
