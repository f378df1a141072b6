"""What runs on the engine for `@depend` and `@require`: a check before the call.

This module is pickled by value (see the end), so engines need not have the
client package installed. When the check fails the engine raises
`UnmetDependency`, and the scheduler sends the task to another engine without
counting a retry; when no engine can run it, the task fails with
ImpossibleDependency.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

import cloudpickle


class UnmetDependency(Exception):
    """This engine cannot run the task (raised on the engine; the scheduler reads its name)."""


class Dependent:
    """`function`, run only where ``condition(*args, **kwargs)`` is true."""

    def __init__(self, function: Callable, condition: Callable, args: tuple, kwargs: dict):
        self.function, self.condition, self.args, self.kwargs = function, condition, args, kwargs
        self.__name__ = getattr(function, "__name__", "dependent")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.condition(*self.args, **self.kwargs):
            raise UnmetDependency(f"{getattr(self.condition, '__name__', 'the condition')} is false on this engine")
        return self.function(*args, **kwargs)


class Requiring:
    """`function`, run after importing `modules` and setting `names` in its globals (the engine's namespace
    for a function from ``__main__``), as ipyparallel's ``@require``."""

    def __init__(self, function: Callable, modules: Sequence[str], names: dict[str, Any]):
        self.function, self.modules, self.names = function, list(modules), names
        self.__name__ = getattr(function, "__name__", "requiring")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        namespace = getattr(self.function, "__globals__", {})
        for name in self.modules:
            try:
                importlib.import_module(name)
            except ImportError as exc:
                raise UnmetDependency(f"cannot import {name} on this engine: {exc}") from None
            top = name.partition(".")[0]
            namespace[top] = sys.modules[top]  # `import a.b` binds `a`
        namespace.update(self.names)
        return self.function(*args, **kwargs)


cloudpickle.register_pickle_by_value(__import__(__name__, fromlist=["_"]))
