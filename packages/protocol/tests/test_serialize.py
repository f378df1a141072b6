"""Serialization: what users send must arrive intact, and large buffers uncopied."""

import pickle

import numpy as np
import pytest

from ipcluster.protocol import deserialize, deserialize_apply, serialize, serialize_apply
from ipcluster.protocol._serialize import INLINE_THRESHOLD


def test_plain_values_round_trip():
    """Ordinary Python data comes back equal."""
    value = {"a": [1, 2.5, "x"], "b": (None, True), "c": {1, 2}}
    assert value == deserialize(serialize(value))


def test_lambdas_and_closures_travel_by_value():
    """Functions that cannot be imported on the other side are pickled by value."""
    offset = 10
    frames = serialize(lambda x: x + offset)
    assert 15 == deserialize(frames)(5)


def test_large_array_becomes_its_own_frame_and_is_not_copied():
    """A big numpy array is an out-of-band buffer, and the result views that buffer."""
    array = np.arange(100_000, dtype=np.float64)
    frames = serialize(array)
    assert 2 == len(frames)
    buffer = bytearray(frames[1])  # what a receiver holds
    restored = deserialize([frames[0], buffer])
    np.testing.assert_array_equal(array, restored)
    restored[0] = 42.0
    assert 42.0 == np.frombuffer(buffer, dtype=np.float64)[0]


def test_small_buffers_stay_inline():
    """Buffers under the threshold are copied into the pickle instead of a frame of their own."""
    frames = serialize(np.zeros(INLINE_THRESHOLD // 16))
    assert 1 == len(frames)


def test_non_contiguous_arrays_serialize():
    """A strided view cannot be a raw buffer; it still arrives equal."""
    array = np.arange(10_000).reshape(100, 100)[:, ::2]
    np.testing.assert_array_equal(array, deserialize(serialize(array)))


def test_apply_frames_split_back_into_function_and_arguments():
    """Function and argument buffers are told apart by the function's buffer count."""
    weights = np.ones(5000)

    def weighted(values, scale=1):
        return float((weights * values).sum() * scale)

    count, frames = serialize_apply(weighted, (np.full(5000, 2.0),), {"scale": 3})
    assert 1 == count
    function, args, kwargs = deserialize_apply(frames, count)
    assert 30000.0 == function(*args, **kwargs)


def test_unpicklable_value_raises_before_sending():
    """An object pickle refuses fails on the sender's side."""
    import threading

    with pytest.raises((TypeError, pickle.PicklingError)):
        serialize(threading.Lock())


def test_plain_values_take_the_standard_pickler_and_round_trip():
    """Small builtin values use plain pickle (cheaper); nested containers of them too."""
    from ipcluster.protocol._serialize import _is_plain

    value = ((1, "a", None), {"k": [2.5, b"x"]})
    assert _is_plain(value)
    assert not _is_plain(((lambda: 1),))
    assert value == deserialize(serialize(value))
