"""``with dv.sync_imports(): import numpy``: the same imports here and on the view's engines.

Each top-level ``import`` statement run inside the block is also executed in
the engines' namespaces (once per module and name list), as in ipyparallel;
nested imports (those the imported modules make themselves) are not.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipcluster.client._asyncresult import AsyncResult
    from ipcluster.client._directview import DirectView


def import_statement(name: str, fromlist: Sequence[str] | None) -> str:
    return f"from {name} import {', '.join(fromlist)}" if fromlist else f"import {name}"


@contextlib.contextmanager
def sync_imports(view: DirectView, local: bool = True, quiet: bool = False) -> Iterator[None]:
    """Run the block's imports on `view`'s engines too (and here only when `local`); waits for them at the end."""
    original = builtins.__import__
    sent: dict[str, AsyncResult] = {}
    nested = False

    def view_import(name: str, globals: Any = None, locals: Any = None, fromlist: Sequence[str] | None = (),
                    level: int = 0) -> Any:
        nonlocal nested
        if nested or level > 0:  # an import made by an imported module, or a relative one: local only
            return original(name, globals, locals, fromlist, level)
        statement = import_statement(name, list(fromlist or ()))
        if statement not in sent:
            if not quiet:
                print(f"{statement} on engine(s)")
            sent[statement] = view.execute(statement, block=False)
        if not local:
            return None
        nested = True
        try:
            return original(name, globals, locals, fromlist, level)
        finally:
            nested = False

    builtins.__import__ = view_import
    try:
        yield
    finally:
        builtins.__import__ = original
    for result in sent.values():
        result.get(view.client.timeout)
