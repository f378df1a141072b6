"""`Reference`: an argument that stands for a name in the engine's namespace.

A Reference pickles as a call that looks the name up when the engine
unpickles the arguments, so it is resolved just before the function runs,
wherever it sits in the arguments (nested in lists, tuples and dicts too),
and costs nothing when no argument is a Reference. The engine's namespace is
its ``__main__`` module. This module travels by value, so engines need not
have the client package installed.
"""

from __future__ import annotations

import sys
from typing import Any

import cloudpickle


class Reference:
    """``dv.apply(f, Reference('a'))`` calls ``f`` with the engine's own value of ``a``."""

    def __init__(self, name: str):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Reference needs a Python name, not {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"Reference({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and other.name == self.name

    def __hash__(self) -> int:
        return hash((Reference, self.name))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return resolve_reference, (self.name,)


def resolve_reference(name: str) -> Any:
    """The value of `name` in the engine's namespace (run while the engine unpickles the arguments)."""
    namespace = sys.modules["__main__"].__dict__
    try:
        return namespace[name]
    except KeyError:
        raise NameError(f"Reference({name!r}): name {name!r} is not defined on this engine") from None


cloudpickle.register_pickle_by_value(sys.modules[__name__])
