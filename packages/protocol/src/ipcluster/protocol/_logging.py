"""One log format for every process: structlog JSON lines in the profile's log folder.

Each process writes ``<log_dir>/<component>-<pid>.log``; on a terminal it also
prints a readable line per event. Every event carries the component name.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

import structlog

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _Tee:
    """Writes each event as a JSON line to the log file and as a readable line to the console."""

    def __init__(self, file: TextIO | None, console: TextIO | None):
        self._file = file
        self._console = console

    def msg(self, **event: object) -> None:
        if self._file is not None:
            self._file.write(json.dumps(event, default=str) + "\n")
        if self._console is not None:
            extras = " ".join(f"{k}={v}" for k, v in event.items()
                              if k not in ("event", "component", "level", "timestamp", "pid"))
            self._console.write(f"[{event.get('component')}] {str(event.get('level', '')).upper()} "
                                f"{event.get('event')} {extras}".rstrip() + "\n")
            self._console.flush()

    log = debug = info = warning = warn = error = critical = exception = msg


def configure_logging(
    component: str,
    log_dir: Path | None = None,
    level: str | int = "info",
    console: TextIO | None = None,
) -> structlog.typing.FilteringBoundLogger:
    """Set up structlog for this process and return its logger.

    JSON lines go to the log file when `log_dir` is given; readable lines go
    to `console`, which is stderr when there is no log file or stderr is a terminal.
    """
    numeric = LEVELS.get(level, logging.INFO) if isinstance(level, str) else level
    file = None
    if log_dir is not None:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        file = open(Path(log_dir) / f"{component}-{os.getpid()}.log", "a", buffering=1)  # noqa: SIM115
    if console is None and (log_dir is None or sys.stderr.isatty()):
        console = sys.stderr
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            lambda _logger, _name, event: event,  # _Tee renders: JSON to the file, text to the console
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=lambda *args: _Tee(file, console),
        cache_logger_on_first_use=True,
    )
    return structlog.get_logger().bind(component=component, pid=os.getpid())
