"""What an `AsyncResult` tells besides its value: metadata, timings, output, progress.

Times are UTC datetimes, as in ipyparallel; durations are seconds.
"""

from __future__ import annotations

import importlib
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipcluster.client._asyncresult import TaskFuture


def _metadata_field(key: str, doc: str) -> property:
    return property(lambda self: self._meta(key), doc=doc)


class ResultInfo:
    """Metadata, timings and output of the messages an `AsyncResult` stands for.

    Each is one value for a single-engine result and a list (one per
    message) otherwise, as in ipyparallel.
    """

    _children: list[TaskFuture]
    _single: bool

    if TYPE_CHECKING:
        def ready(self) -> bool: ...

        def wait(self, timeout: float | None = None) -> bool: ...

    def _meta(self, key: str) -> Any:
        values = [child.metadata[key] for child in self._children]
        return values[0] if self._single else values

    @property
    def metadata(self) -> Any:
        return self._children[0].metadata if self._single else [child.metadata for child in self._children]

    stdout = _metadata_field("stdout", "What the engine(s) printed to stdout while running this.")
    stderr = _metadata_field("stderr", "What the engine(s) printed to stderr while running this.")
    engine_id = _metadata_field("engine_id", "The engine(s) that ran this.")
    status = _metadata_field("status", "'pending', 'ok' or 'error'.")
    submitted = _metadata_field("submitted", "When the client sent it (a UTC datetime).")
    started = _metadata_field("started", "When the engine started it (a UTC datetime).")
    completed = _metadata_field("completed", "When the engine finished it (a UTC datetime).")
    received = _metadata_field("received", "When the client got the reply (a UTC datetime).")

    @property
    def elapsed(self) -> float:
        """Seconds from the first submission until now, or until the last answer when done."""
        submitted = min(child.metadata["submitted"] for child in self._children)
        now = datetime.now(UTC)
        end = max(child.metadata["received"] or now for child in self._children) if self.ready() else now
        return (end - submitted).total_seconds()

    @property
    def wall_time(self) -> float:
        """Seconds from the first submission to the last reply; TimeoutError before then."""
        self._require_ready()
        start = min(c.metadata["submitted"] for c in self._children)
        return (max(c.metadata["received"] for c in self._children) - start).total_seconds()

    @property
    def serial_time(self) -> float:
        """Seconds the engines spent on this, added up: what one engine alone would have needed."""
        self._require_ready()
        return sum((c.metadata["completed"] - c.metadata["started"]).total_seconds() for c in self._children
                   if c.metadata["completed"] and c.metadata["started"])

    @property
    def progress(self) -> int:
        """How many of the messages are answered."""
        return sum(child.done() for child in self._children)

    def _require_ready(self) -> None:
        if not self.ready():
            raise TimeoutError("the result is not ready yet")

    def wait_interactive(self, interval: float = 0.1, timeout: float = -1) -> None:
        """Wait, showing a progress bar (tqdm's when installed, else a line of text); ``timeout=-1``: no limit."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        total = len(self._children)
        bar = _progress_bar(total, getattr(self, "label", "") or "tasks")
        shown = 0
        try:
            while True:
                left = None if deadline is None else deadline - time.monotonic()
                finished = self.wait(interval if left is None else max(0.0, min(interval, left)))
                bar.update(self.progress - shown)
                shown = self.progress
                if finished or (left is not None and left <= interval):
                    return
        finally:
            bar.close()

    def display_outputs(self) -> None:
        """Print each engine's stdout and stderr, labelled as ipyparallel does: ``[stdout:0] hello``."""
        for child in self._children:
            engine = child.metadata["engine_id"]
            for stream, out in (("stdout", sys.stdout), ("stderr", sys.stderr)):
                text = child.metadata[stream]
                if not text:
                    continue
                body = text if text.endswith("\n") else text + "\n"
                # one line goes beside its label; several start on the line after it
                separator = " " if body.count("\n") == 1 else "\n"
                print(f"[{stream}:{engine}]{separator}{body}", end="", file=out)


class _TextBar:
    """A stand-in for tqdm: one line of text rewritten in place."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.n = total, label, 0
        self._show()

    def update(self, count: int) -> None:
        self.n += count
        self._show()

    def _show(self) -> None:
        print(f"\r{self.label}: {self.n}/{self.total}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        print(file=sys.stderr)


def _progress_bar(total: int, label: str) -> Any:
    try:
        tqdm = importlib.import_module("tqdm.auto").tqdm  # optional: the client does not depend on tqdm
    except ImportError:
        return _TextBar(total, label)
    return tqdm(total=total, desc=label, unit="tasks")
