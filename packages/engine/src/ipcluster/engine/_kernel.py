"""Running a user's code in the engine's namespace, and reporting what went wrong."""

from __future__ import annotations

import ast
import sys
import traceback
import types
from collections.abc import Sequence

from ipcluster.protocol import deserialize_apply, serialize, work_pb2


class Kernel:
    """The engine's user namespace and the two ways of running code in it.

    The namespace is a fresh ``__main__`` module, so objects pickled by
    reference to ``__main__`` resolve against what the user defined here.
    """

    def __init__(self) -> None:
        self.module = types.ModuleType("__main__")
        self.execution_count = 0  # of non-silent executes, as an IPython kernel counts them
        self.clear()

    @property
    def namespace(self) -> dict:
        return self.module.__dict__

    def clear(self) -> None:
        self.namespace.clear()
        self.namespace.update(__name__="__main__", __builtins__=__builtins__)
        sys.modules["__main__"] = self.module

    def apply(self, frames: Sequence, function_buffers: int, map_items: bool = False) -> list:
        """Call the pickled function with its pickled arguments; returns the result's frames.

        With `map_items`, the arguments are sequences and the function is
        called once per zipped item, giving a list.
        """
        function, args, kwargs = deserialize_apply(frames, function_buffers)
        if isinstance(function, types.FunctionType) and function.__module__ == "__main__":
            function = self._bind_to_namespace(function)
        if map_items:
            return serialize([function(*items) for items in zip(*args, strict=False)])
        return serialize(function(*args, **kwargs))

    def execute(self, code: str, filename: str = "<execute>", silent: bool = True) -> str:
        """Run code in the namespace; running user code is the job.

        Not `silent` (%px), it counts as an execution and returns repr() of the
        value of a trailing expression, as IPython's ``Out[]`` shows it: "" when
        there is none, it is None, or the code ends with ";" (IPython's way to hide it).
        """
        tree = ast.parse(code, filename)
        trailing = None
        if not silent:
            self.execution_count += 1
            last = tree.body[-1] if tree.body else None
            if isinstance(last, ast.Expr) and not code.rstrip().endswith(";"):
                trailing = ast.Expression(last.value)
                tree.body.pop()
        exec(compile(tree, filename, "exec"), self.namespace)
        if trailing is None:
            return ""
        value = eval(compile(trailing, filename, "eval"), self.namespace)
        return "" if value is None else repr(value)

    def _bind_to_namespace(self, function: types.FunctionType) -> types.FunctionType:
        """Run a function from the user's ``__main__`` in the engine's namespace.

        Names it reads that the engine has come from the engine, as in
        ipyparallel; the globals cloudpickle captured from the user's session
        are set first, so the function sees the values the user sees.
        """
        captured = {k: v for k, v in function.__globals__.items() if not k.startswith("__")}
        if function.__globals__ is not self.namespace:
            self.namespace.update(captured)
        bound = types.FunctionType(
            function.__code__, self.namespace, function.__name__, function.__defaults__, function.__closure__
        )
        bound.__kwdefaults__ = function.__kwdefaults__
        return bound


def error_info(exc: BaseException, engine_id: int) -> work_pb2.RemoteErrorInfo:
    """The remote error as the client shows it: name, value and the user's part of the traceback.

    Never raises: user exceptions may have a __str__ that fails or text UTF-8
    cannot encode, and an engine that cannot report an error must still reply.
    """
    ename = utf8_safe(type(exc).__name__)
    try:
        lines = traceback.format_exception(type(exc), exc, _user_part(exc.__traceback__))
    except BaseException as failure:  # a broken __cause__ chain or frame: report without a traceback
        lines = [f"{ename}: <traceback could not be formatted: {type(failure).__name__}>\n"]
    return work_pb2.RemoteErrorInfo(
        ename=ename, evalue=_safe_str(exc), traceback=[utf8_safe(line) for line in lines], engine_id=engine_id
    )


def _user_part(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The user's code starts after the engine's last frame."""
    user_part = tb
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__")
        if isinstance(name, str) and name.startswith("ipcluster."):
            user_part = tb.tb_next
        tb = tb.tb_next
    return user_part


def _safe_str(exc: BaseException, describing_failure: bool = False) -> str:
    """str(exc), or a note of why it failed; the failure of a failing __str__ is described only once."""
    try:
        return utf8_safe(str(exc))
    except BaseException as failure:  # user code: it may raise anything
        if describing_failure:
            return "?"
        return f"<str() failed: {type(failure).__name__}: {_safe_str(failure, describing_failure=True)}>"


def utf8_safe(text: str) -> str:
    """`text` as protobuf can encode it: lone surrogates backslash-escaped, anything else unchanged."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
