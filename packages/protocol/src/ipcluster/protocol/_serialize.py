"""Turning Python objects into frames and back.

Pickle protocol 5 with out-of-band buffers: a numpy array or a large bytes
object becomes its own frame and is sent and received without copies. The
pickler is cloudpickle, so lambdas, closures and functions and classes defined
in ``__main__`` arrive on the engine by value.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

import cloudpickle

PICKLE_PROTOCOL = 5
# Below this size an out-of-band buffer is copied into the pickle instead:
# a frame of its own costs more than copying a few hundred bytes.
INLINE_THRESHOLD = 1024


# Values of these types pickle the same with the standard pickler, which is
# several times cheaper per call than cloudpickle's.
_PLAIN_TYPES = frozenset({int, float, complex, str, bytes, bool, type(None)})


def _is_plain(obj: Any, depth: int = 0) -> bool:
    kind = type(obj)
    if kind in _PLAIN_TYPES:
        return True
    if depth < 3 and kind in (tuple, list):
        return all(_is_plain(item, depth + 1) for item in obj)
    if depth < 3 and kind is dict:
        return all(type(k) is str and _is_plain(v, depth + 1) for k, v in obj.items())
    return False


def serialize(obj: Any) -> list:
    """Pickle `obj`; returns ``[pickle, buffer...]`` ready to send as frames."""
    if _is_plain(obj):
        return [pickle.dumps(obj, protocol=PICKLE_PROTOCOL)]
    buffers: list[memoryview] = []

    def keep_large(buffer: pickle.PickleBuffer) -> bool:
        try:
            raw = buffer.raw()
        except BufferError:  # not contiguous: let pickle copy it in-band
            return True
        if raw.nbytes < INLINE_THRESHOLD:
            return True
        buffers.append(raw)
        return False

    data = cloudpickle.dumps(obj, protocol=PICKLE_PROTOCOL, buffer_callback=keep_large)
    return [data, *buffers]


def deserialize(frames: Sequence) -> Any:
    """Inverse of `serialize`; buffers become the objects' memory, uncopied."""
    first, *rest = (_view(frame) for frame in frames)
    return pickle.loads(first, buffers=rest)


def serialize_apply(function: Callable, args: tuple, kwargs: dict) -> tuple[int, list]:
    """Frames for an apply request: the function's pickle, then the arguments'.

    Returns the number of out-of-band buffers that belong to the function, so
    the receiver can split the frames again.
    """
    function_frames = serialize(function)
    return len(function_frames) - 1, [*function_frames, *serialize((args, kwargs))]


def deserialize_apply(frames: Sequence, function_buffers: int) -> tuple[Callable, tuple, dict]:
    split = function_buffers + 1
    function = deserialize(frames[:split])
    args, kwargs = deserialize(frames[split:])
    return function, args, kwargs


def _view(frame) -> memoryview | bytes:
    buffer = getattr(frame, "buffer", None)
    return buffer if buffer is not None else frame
