"""Splitting a sequence into one contiguous block per engine, as ipyparallel's ``dist='b'``.

Lists, tuples and ranges become lists; numpy arrays become sub-arrays (views,
so scattering a large array copies nothing on the client).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any


def block_bounds(length: int, parts: int) -> list[int]:
    """`parts` + 1 boundaries of near-equal blocks; the first ``length % parts`` blocks get one item more."""
    base, extra = divmod(length, parts)
    return [i * base + min(i, extra) for i in range(parts + 1)]


def partition(sequence: Any, parts: int, what: str) -> list[Any]:
    """`sequence` cut into `parts` contiguous blocks; a clear TypeError for what cannot be cut."""
    is_array = type(sequence).__module__ == "numpy" and getattr(sequence, "ndim", 0) > 0
    if not (is_array or isinstance(sequence, list | tuple | range)):
        raise TypeError(f"{what} needs a sequence (list, tuple, range or numpy array), "
                        f"not {type(sequence).__name__}")
    bounds = block_bounds(len(sequence), parts)
    if is_array:
        return [sequence[start:stop] for start, stop in pairwise(bounds)]
    return [list(sequence[start:stop]) for start, stop in pairwise(bounds)]


def check_dist(dist: str) -> None:
    if dist != "b":
        raise ValueError(f"dist={dist!r} is not supported: only 'b' (one contiguous block per engine)")
