"""Small functions the client sends to engines: pushing, pulling, mapping.

This module is pickled by value (see ``register_pickle_by_value`` below), so
engines need not have the client package installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import cloudpickle

from ipcluster.protocol import INTERACTIVE_ATTR

F = TypeVar("F", bound=Callable)


def interactive(function: F) -> F:
    """Make `function`'s globals the engine's namespace when it runs there.

    Like ipyparallel's ``@interactive``: a name the function reads is looked
    up among what was pushed or executed on the engine.
    """
    function.__module__ = "__main__"  # cloudpickle then pickles it by value
    setattr(function, INTERACTIVE_ATTR, True)
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


def map_chunk(function: Callable, *sequences: list) -> list:
    return list(map(function, *sequences))


cloudpickle.register_pickle_by_value(__import__(__name__, fromlist=["_"]))
