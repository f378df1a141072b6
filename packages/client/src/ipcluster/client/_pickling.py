"""Pickling on the client, with an error that names what could not be pickled.

Everything a call needs is pickled before any of it is sent, so a lock or a
socket among the arguments fails the call at once, with nothing registered
or sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ipcluster.client._errors import SerializationError
from ipcluster.protocol import serialize


def pickled(obj: Any, what: Callable[[], str]) -> list:
    """`serialize(obj)`, or a SerializationError naming `what()` and, in a call's arguments, the culprit."""
    try:
        return serialize(obj)
    except Exception as exc:
        culprit = next(_unpicklable_parts(obj), None)
        where = f" ({culprit})" if culprit else ""
        raise SerializationError(f"cannot send {what()} to the engines{where}: {type(exc).__name__}: {exc}") from exc


def call_frames(function: Callable, args: tuple, kwargs: dict) -> tuple[int, list]:
    """Frames for an apply request: the function's pickle, then the arguments'; and the function's buffer count."""
    name = getattr(function, "__name__", repr(function))
    function_frames = pickled(function, lambda: f"the function {name}")
    return len(function_frames) - 1, [*function_frames, *pickled((args, kwargs), lambda: f"the arguments of {name}")]


def _unpicklable_parts(obj: Any) -> Iterator[str]:
    """For an ``(args, kwargs)`` pair, the first argument that fails on its own, by position or name."""
    if not (isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[1], dict)):
        return
    args, kwargs = obj
    parts = [*((f"argument {i}: {value!r:.60}", value) for i, value in enumerate(args)),
             *((f"argument {key}=: {value!r:.60}", value) for key, value in kwargs.items())]
    for label, value in parts:
        try:
            serialize(value)
        except Exception:
            yield label
