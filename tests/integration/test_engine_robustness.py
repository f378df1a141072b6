"""An engine keeps serving, answers control first, and exits when it should, whatever its user code does."""

from __future__ import annotations

import pytest

from ipcluster.client import RemoteError, interactive


@interactive  # engines cannot import this test module: send the function by value
def raise_unprintable():
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no text for you")

    raise Unprintable()


@interactive
def raise_with_surrogates():
    raise ValueError("bad \udc80 text")


@interactive
def print_surrogates():
    print("out \udc80")
    return 1


@pytest.mark.parametrize(("task", "ename", "evalue"), [
    (raise_unprintable, "Unprintable", "str() failed"),
    (raise_with_surrogates, "ValueError", "bad \\udc80 text"),
])
def test_unreportable_errors_come_back_and_the_engine_carries_on(make_cluster, task, ename, evalue):
    """An exception whose str() raises or whose text is not UTF-8 is an error reply; the engine serves on."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        with pytest.raises(RemoteError) as caught:
            rc[0].apply_async(task).get(timeout=10)
        assert ename == caught.value.ename
        assert evalue in caught.value.evalue
        assert 5 == rc[0].apply_async(lambda: 5).get(timeout=10)


def test_output_that_utf8_cannot_encode_comes_back_escaped(make_cluster):
    """A task printing lone surrogates returns its result, with the output backslash-escaped."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        result = rc[0].apply_async(print_surrogates)
        assert 1 == result.get(timeout=10)
        assert "out \\udc80\n" == result.stdout
