"""Dependencies of load-balanced tasks: `Dependency`, and the `@depend` and `@require` decorators.

``view.apply_async(f, after=[ar])`` waits for `ar` to succeed; a `Dependency`
says more: all or any of the tasks, met by success, by failure, or both. The
scheduler holds the task until its dependencies are met, and fails it with
ImpossibleDependency when they never can be.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from typing import Any

from ipcluster.client._asyncresult import msg_ids_of
from ipcluster.client._dependent import Dependent, Requiring
from ipcluster.protocol import header_pb2


class Dependency(set):
    """A set of msg_ids a task depends on, with how they must have finished.

    `dependencies` may hold msg_ids, AsyncResults and other Dependency objects.
    `all=True`: every one of them (else any one); `success`/`failure`: which
    outcomes meet it (by default success only, as in ipyparallel).
    """

    def __init__(self, dependencies: Iterable[Any] | Any = (), all: bool = True,
                 success: bool = True, failure: bool = False):
        super().__init__(msg_ids_of(dependencies))
        self.all, self.success, self.failure = all, success, failure
        if not (success or failure):
            raise ValueError("a Dependency met by neither success nor failure can never be met")

    def as_proto(self) -> header_pb2.Dependency:
        return header_pb2.Dependency(msg_ids=sorted(self), all=self.all, success=self.success, failure=self.failure)

    def __repr__(self) -> str:
        return f"Dependency({sorted(self)}, all={self.all}, success={self.success}, failure={self.failure})"


def as_dependency(value: Any) -> header_pb2.Dependency | None:
    """A view's `after`/`follow` flag as the header carries it; None when empty."""
    if value is None:
        return None
    dependency = value if isinstance(value, Dependency) else Dependency(value)
    return dependency.as_proto() if dependency else None


def depend(condition: Callable, *args: Any, **kwargs: Any) -> Callable[[Callable], Dependent]:
    """Run the decorated function only on engines where ``condition(*args, **kwargs)`` is true.

    On other engines the scheduler moves the task on; where no engine will do,
    it fails with ImpossibleDependency.
    """
    return lambda function: Dependent(function, condition, args, kwargs)


def require(*requirements: Any, **names: Any) -> Callable[[Callable], Requiring]:
    """Import modules (names or module objects) on the engine before the call, and set `names` there.

    An engine that cannot import one is skipped, as with `depend`.
    """
    modules = []
    for requirement in requirements:
        if isinstance(requirement, str):
            modules.append(requirement)
        elif isinstance(requirement, types.ModuleType):
            modules.append(requirement.__name__)
        elif callable(requirement):
            names[requirement.__name__] = requirement
        else:
            raise TypeError(f"require takes module names, modules and functions, not {requirement!r}")
    return lambda function: Requiring(function, modules, names)
