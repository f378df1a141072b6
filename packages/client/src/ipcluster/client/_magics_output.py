"""What %px shows: each engine's output labelled with its id, and its errors, as ipyparallel shows them."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from ipcluster.client._asyncresult import AsyncResult
from ipcluster.client._errors import CompositeError, RemoteError


@dataclass(frozen=True)
class EngineOutput:
    """One engine's part of a finished %px run."""

    engine_id: int
    stdout: str
    stderr: str
    execute_result: str | None  # repr() of the code's trailing expression
    execution_count: int
    error: BaseException | None


def engine_outputs(result: AsyncResult) -> list[EngineOutput]:
    """The outputs of a finished execute, in target order, each with the error its engine raised.

    A child failed exactly when its status is not "ok" (an execute reply has
    no result to unpickle), and get() lists the errors in child order.
    """
    metadata = result.metadata if isinstance(result.metadata, list) else [result.metadata]
    errors = iter(_raised(result))
    return [EngineOutput(meta["engine_id"], meta["stdout"], meta["stderr"], meta.get("execute_result"),
                         meta.get("execution_count", 0), None if meta["status"] == "ok" else next(errors))
            for meta in metadata]


def _raised(result: AsyncResult) -> list[BaseException]:
    try:
        result.get(0)
    except CompositeError as composite:
        return composite.elist
    except Exception as error:  # one target: its own error, whatever it is
        return [error]
    return []


def show_outputs(outputs: Sequence[EngineOutput], groupby: str = "type") -> None:
    """Print stdout, stderr and Out[engine:count] of each engine.

    `groupby` "engine" keeps each engine's output together; "type" (and
    "order", which only differs for rich display outputs, which ipcluster
    engines do not send) shows all stdout, then all stderr, then all results.
    """
    kinds = (_show_stdout, _show_stderr, _show_result)
    if groupby == "engine":
        for output in outputs:
            for show in kinds:
                show(output)
    else:
        for show in kinds:
            for output in outputs:
                show(output)


def _show_stdout(output: EngineOutput) -> None:
    _show(output.stdout, f"[stdout:{output.engine_id}]", sys.stdout)


def _show_stderr(output: EngineOutput) -> None:
    _show(output.stderr, f"[stderr:{output.engine_id}]", sys.stderr)


def _show_result(output: EngineOutput) -> None:
    if output.execute_result is not None:
        _show(output.execute_result, f"Out[{output.engine_id}:{output.execution_count}]:", sys.stdout)


def _show(text: str, label: str, stream: TextIO) -> None:
    """One line after the label, or the label on a line of its own above several."""
    if not text:
        return
    body = text[:-1] if text.endswith("\n") else text
    print(f"{label}\n{body}" if "\n" in body else f"{label} {body}", file=stream)


class EnginesFailed(CompositeError):
    """A %px cell raised on one or more engines; IPython shows each remote traceback under its engine's label."""

    tracebacks_shown = 4  # as ipyparallel: the rest are summed up in one line

    def __init__(self, outputs: Sequence[EngineOutput]):
        failed = [(output.engine_id, output.error) for output in outputs if output.error is not None]
        super().__init__("one or more exceptions from call to method: execute", [error for _, error in failed])
        self.engine_ids = [engine_id for engine_id, _ in failed]

    def _labelled(self) -> list[tuple[str, BaseException]]:
        return [(f"[{engine_id}:execute]: {_summary(error)}", error)
                for engine_id, error in zip(self.engine_ids, self.elist, strict=True)]

    def __str__(self) -> str:
        labels = [label for label, _ in self._labelled()]
        return "\n".join([self.message, *labels[: self.shown], *_more(len(labels), self.shown)])

    def _render_traceback_(self) -> list[str]:
        """IPython prints these lines instead of the local traceback, which says nothing about the engines."""
        lines = []
        labelled = self._labelled()
        for label, error in labelled[: self.tracebacks_shown]:
            remote = error.traceback if isinstance(error, RemoteError) else ""
            lines += [label, *remote.splitlines(), ""]
        return lines + _more(len(labelled), self.tracebacks_shown)


def _more(count: int, shown: int) -> list[str]:
    return [f"... {count - shown} more exceptions ..."] if count > shown else []


def _summary(error: BaseException) -> str:
    if isinstance(error, RemoteError):
        return f"{error.ename}: {error.evalue}"
    return f"{type(error).__name__}: {error}"
