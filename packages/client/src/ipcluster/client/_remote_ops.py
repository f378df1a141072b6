"""Small functions the client sends to engines: pushing and pulling names.

This module is pickled by value (see ``register_pickle_by_value`` below), so
engines need not have the client package installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import cloudpickle

F = TypeVar("F", bound=Callable)


def interactive(function: F) -> F:
    """Run `function` in the engine's namespace, like a function typed in ``__main__``.

    As ipyparallel's ``@interactive``: the names the function reads are
    looked up among what was pushed or executed on the engine.
    """
    function.__module__ = "__main__"
    return function


@interactive
def push_namespace(values: dict[str, Any]) -> None:
    globals().update(values)


@interactive
def pull_names(names: str | list[str]) -> Any:
    namespace = globals()
    try:
        if isinstance(names, str):
            return namespace[names]
        return [namespace[name] for name in names]
    except KeyError as exc:
        raise NameError(f"name {exc.args[0]!r} is not defined on this engine") from None


cloudpickle.register_pickle_by_value(__import__(__name__, fromlist=["_"]))
